import type { Assistant, AssistantTool } from 'openai/resources/beta/assistants';
import type { Message, MessageContent } from 'openai/resources/beta/threads/messages';
import type { Run, RunStatus } from 'openai/resources/beta/threads/runs/runs';
import type { RunStep } from 'openai/resources/beta/threads/runs/steps';
import type { AssistantResponseFormatOption, AssistantToolChoiceOption, Thread } from 'openai/resources/beta/threads/threads';
import type { Metadata, ReasoningEffort } from 'openai/resources/shared';
import type { StaticFileChunkingStrategyObject, VectorStore } from 'openai/resources/vector-stores/vector-stores';
import type { VectorStoreFile } from 'openai/resources/vector-stores/files';
import type {
  Assistant as AssistantRow,
  Message as MessageRow,
  Run as RunRow,
  RunStep as RunStepRow,
  Thread as ThreadRow,
  VectorStore as VectorStoreRow,
  VectorStoreFile as VectorStoreFileRow,
  VectorStoreFileBatch as VectorStoreFileBatchRow,
} from '../generated/prisma/client.js';

/**
 * The JSON columns, each with its one typed definition: the `openai` package's own wire types,
 * since each column stores exactly what the wire shows (prisma/schema.prisma types them `Json`).
 * Data access returns these records, so no reader casts a column itself.
 */

/** Token usage as steps and runs carry it. */
export type Usage = { prompt_tokens: number; completion_tokens: number; total_tokens: number };
export const zeroUsage: Usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };

export type StepDetails = RunStep['step_details'];
export type StoredToolCall = Extract<StepDetails, { type: 'tool_calls' }>['tool_calls'][number];
export type StoredFunctionCall = Extract<StoredToolCall, { type: 'function' }>;
export type RequiredAction = NonNullable<Run['required_action']>;
export type TruncationStrategy = NonNullable<Run['truncation_strategy']>;
export type RunLastError = NonNullable<Run['last_error']>;
export type StepLastError = NonNullable<RunStep['last_error']>;

export type AssistantRecord = Omit<AssistantRow, 'tools' | 'toolResources' | 'metadata' | 'responseFormat' | 'reasoningEffort'> & {
  tools: AssistantTool[];
  reasoningEffort: ReasoningEffort;
  toolResources: Assistant['tool_resources'];
  metadata: Metadata;
  /** Null when the assistant never set one (the wire shows `auto`). */
  responseFormat: AssistantResponseFormatOption | null;
};

export type ThreadRecord = Omit<ThreadRow, 'toolResources' | 'metadata'> & {
  toolResources: Thread['tool_resources'];
  metadata: Metadata;
};

export type RunRecord = Omit<
  RunRow,
  'status' | 'requiredAction' | 'lastError' | 'incompleteDetails' | 'usage' | 'tools' | 'metadata' | 'truncationStrategy' | 'toolChoice' | 'responseFormat' | 'reasoningEffort'
> & {
  status: RunStatus;
  metadata: Metadata;
  requiredAction: RequiredAction | null;
  lastError: RunLastError | null;
  incompleteDetails: Run['incomplete_details'];
  usage: Usage | null;
  tools: AssistantTool[];
  truncationStrategy: TruncationStrategy;
  toolChoice: AssistantToolChoiceOption;
  responseFormat: AssistantResponseFormatOption;
  /** A text column, written only from the validated request or the assistant. */
  reasoningEffort: ReasoningEffort;
};

/**
 * A file a server tool wrote and stored as a File (code_interpreter's /mnt/data): `path` is
 * relative to /mnt/data, so the answer's `sandbox:/mnt/data/<path>` links name it.
 */
export interface ToolFile {
  call_id: string;
  path: string;
  file_id: string;
}

export type StepRecord = Omit<RunStepRow, 'type' | 'status' | 'stepDetails' | 'lastError' | 'metadata' | 'usage' | 'modelUsage' | 'toolFiles'> & {
  type: RunStep['type'];
  status: RunStep['status'];
  metadata: Metadata;
  stepDetails: StepDetails;
  lastError: StepLastError | null;
  usage: Usage | null;
  /** What this step's model call cost, kept apart from `usage` (shown only once the step completes). */
  modelUsage: Usage | null;
  /** Not on the wire: what the step's server tools wrote (src/wire/step.ts leaves it out). */
  toolFiles: ToolFile[];
};

export type MessageRecord = Omit<MessageRow, 'role' | 'status' | 'content' | 'incompleteDetails' | 'attachments' | 'metadata'> & {
  role: Message['role'];
  status: Message['status'];
  metadata: Metadata;
  content: MessageContent[];
  incompleteDetails: Message['incomplete_details'];
  attachments: NonNullable<Message['attachments']>;
};

export type VectorStoreRecord = Omit<VectorStoreRow, 'metadata' | 'expiresAfter'> & {
  metadata: Metadata;
  expiresAfter: VectorStore.ExpiresAfter | null;
};

export type VectorStoreFileStatus = VectorStoreFile['status'];
export type VectorStoreFileError = VectorStoreFile.LastError;
/** A vector-store file's attributes: what search filters compare. */
export type FileAttributes = Record<string, string | number | boolean>;

export type VectorStoreFileRecord = Omit<VectorStoreFileRow, 'status' | 'lastError' | 'chunkingStrategy' | 'attributes'> & {
  status: VectorStoreFileStatus;
  lastError: VectorStoreFileError | null;
  /** Always the static form: `auto` is stored as what it means (800 / 400). */
  chunkingStrategy: StaticFileChunkingStrategyObject;
  attributes: FileAttributes;
};

export type VectorStoreFileBatchRecord = Omit<VectorStoreFileBatchRow, 'status'> & {
  /** `in_progress`, or `cancelled` once cancelled; the wire status is read from its files (src/db/vector-store-files.ts). */
  status: 'in_progress' | 'cancelled';
};

/** A run as its end left it (src/db/runs.ts `closeRun`). */
export interface ClosedRun {
  run: RunRecord;
  /** The run's messages and steps that were still open, now closed to match it. */
  messages: MessageRecord[];
  steps: StepRecord[];
}

/*
 * A row as Prisma or a raw statement returns it, read as its record. The columns are written only
 * through the typed records below and the services' validated inputs, so this is where the `Json`
 * type is narrowed, once per table.
 */
export const asAssistant = (row: AssistantRow): AssistantRecord => row as unknown as AssistantRecord;
export const asThread = (row: ThreadRow): ThreadRecord => row as unknown as ThreadRecord;
export const asRun = (row: RunRow): RunRecord => row as unknown as RunRecord;
export const asStep = (row: RunStepRow): StepRecord => row as unknown as StepRecord;
export const asMessage = (row: MessageRow): MessageRecord => row as unknown as MessageRecord;
export const asVectorStore = (row: VectorStoreRow): VectorStoreRecord => row as unknown as VectorStoreRecord;
export const asVectorStoreFile = (row: VectorStoreFileRow): VectorStoreFileRecord => row as unknown as VectorStoreFileRecord;
export const asVectorStoreFileBatch = (row: VectorStoreFileBatchRow): VectorStoreFileBatchRecord => row as unknown as VectorStoreFileBatchRecord;
