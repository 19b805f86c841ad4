import { z } from 'zod';
import { MessageInput, Metadata, NewToolResources, ToolResources } from '../schemas.js';

export const ThreadCreate = z.strictObject({
  messages: z.array(MessageInput).optional(),
  tool_resources: NewToolResources.nullish(),
  metadata: Metadata.nullish(),
});
export const ThreadUpdate = z.strictObject({ tool_resources: ToolResources.nullish(), metadata: Metadata.nullish() });
