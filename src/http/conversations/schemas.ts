import { z } from 'zod';
import { Metadata } from '../schemas.js';
import { IncludeQuery, InputItem } from '../responses/schemas.js';

/** At most 20 items at a time, as OpenAI's reference has it. */
const Items = z.array(InputItem).max(20);

export const ConversationCreate = z.strictObject({ items: Items.nullish(), metadata: Metadata.nullish() });
export const ConversationUpdate = z.strictObject({ metadata: Metadata.nullable() });
export const ItemsCreate = z.strictObject({ items: Items });
export const ItemQuery = z.object(IncludeQuery);
