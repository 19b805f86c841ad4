import { z } from 'zod';
import { ListQuery } from '../pagination.js';
import { Metadata } from '../schemas.js';

export const MessageUpdate = z.strictObject({ metadata: Metadata.nullish() });

export const MessageListQuery = ListQuery.extend({ run_id: ListQuery.shape.after });
