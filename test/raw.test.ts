import { afterAll, describe, expect, inject, it } from 'vitest';
import { createDb } from '../src/db/client.js';
import { columnsOf, insertInto, setList, writes } from '../src/db/raw.js';
import { insertRun, type NewRun } from '../src/db/runs.js';
import { Prisma, type Message, type RunStep } from '../src/generated/prisma/client.js';
import { newId } from '../src/ids.js';

/**
 * src/db/raw.ts writes SQL from Prisma's field names (snake_case columns). These check it
 * against Prisma's own reads and writes, for every model, so a schema change that breaks the
 * convention fails here rather than in a run.
 */
describe('raw statements shaped by the Prisma models', () => {
  const db = createDb(inject('databaseUrl'), 2);
  afterAll(() => db.$disconnect());

  async function aThread() {
    const thread = await db.thread.create({ data: { id: newId('thread'), projectId: 'proj_default', createdAt: 1_700_000_000, metadata: { k: 'v' } } });
    const run = await db.run.create({
      data: {
        id: newId('run'),
        projectId: thread.projectId,
        threadId: thread.id,
        assistantId: 'asst_raw',
        createdAt: 1_700_000_001,
        status: 'in_progress',
        model: 'm',
        temperature: 0.5,
        topP: 1,
        maxCompletionTokens: 300,
        truncationStrategy: { type: 'auto', last_messages: null },
        toolChoice: 'auto',
        parallelToolCalls: true,
        responseFormat: 'auto',
        requiredAction: { type: 'submit_tool_outputs' },
      },
    });
    return { thread, run };
  }

  const snake = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  const fieldsOf = (model: Prisma.ModelName) => (Prisma as unknown as Record<string, Record<string, string>>)[`${model}ScalarFieldEnum`]!;

  /**
   * Every model Prisma knows, with the one table whose columns are its fields in snake_case.
   * Columns Prisma does not read are left out: tsvector and bit(256) (`Unsupported` fields), and
   * pgvector's generated `embedding_vec` where the server has it (src/retrieval/pgvector.ts).
   */
  async function tablesByModel(): Promise<Record<Prisma.ModelName, string>> {
    const tables = await db.$queryRaw<{ table: string; columns: string[] }[]>`
      SELECT table_name::text AS "table", array_agg(column_name::text ORDER BY column_name) AS columns
      FROM information_schema.columns WHERE table_schema = current_schema() AND data_type NOT IN ('tsvector', 'bit', 'USER-DEFINED') GROUP BY table_name`;
    const byModel = {} as Record<Prisma.ModelName, string>;
    for (const model of Object.values(Prisma.ModelName)) {
      const columns = Object.keys(fieldsOf(model)).map(snake).sort().join();
      const matching = tables.filter((t) => t.columns.join() === columns);
      expect(matching, `${model}: one table with exactly its fields as snake_case columns`).toHaveLength(1);
      byModel[model] = matching[0]!.table;
    }
    return byModel;
  }

  it('columnsOf reads every model exactly as Prisma does (every model: a new one needs a row here)', async () => {
    const tables = await tablesByModel();
    const { thread, run } = await aThread();
    const message = await db.message.create({ data: { id: newId('message'), threadId: thread.id, createdAt: 2, role: 'user', content: [{ type: 'text' }], status: 'completed', runId: run.id } });
    const step = await db.runStep.create({
      data: { id: newId('step'), runId: run.id, threadId: thread.id, assistantId: 'asst_raw', key: '0:tools', createdAt: 3, type: 'tool_calls', status: 'in_progress', stepDetails: { tool_calls: [] }, modelUsage: { total_tokens: 3 } },
    });
    const assistant = await db.assistant.create({ data: { id: newId('assistant'), projectId: 'proj_default', createdAt: 4, model: 'm', topP: 0.9, responseFormat: { type: 'json_object' } } });
    const file = await db.file.create({ data: { id: newId('file'), projectId: 'proj_default', createdAt: 5, bytes: 10, filename: 'a.txt', purpose: 'assistants', status: 'processed', objectKey: 'k' } });
    const response = await db.response.create({ data: { id: newId('response'), projectId: 'proj_default', createdAt: 6, status: 'completed', background: false, store: true, model: 'm', conversationId: thread.id, request: { tool_choice: 'auto' } } });
    const event = await db.responseEvent.create({ data: { responseId: response.id, seq: 0, event: { type: 'response.created' } } });
    const item = await db.conversationItem.create({ data: { id: newId('message'), threadId: thread.id, createdAt: 7, item: { type: 'function_call' } } });
    const idempotency = await db.idempotencyKey.create({ data: { key: newId('message'), fingerprint: 'f', status: 200, body: { ok: true } } });
    const store = await db.vectorStore.create({ data: { id: newId('vectorStore'), projectId: 'proj_default', createdAt: 8, lastActiveAt: 8, expiresAfter: { anchor: 'last_active_at', days: 1 } } });
    const storeFile = await db.vectorStoreFile.create({ data: { fileId: file.id, vectorStoreId: store.id, createdAt: 9, status: 'completed', chunkingStrategy: { type: 'auto' }, attributes: { a: 1 } } });
    const batch = await db.vectorStoreFileBatch.create({ data: { id: newId('fileBatch'), vectorStoreId: store.id, createdAt: 10, status: 'in_progress' } });
    const chunk = await db.chunk.create({ data: { vectorStoreId: store.id, fileId: file.id, seq: 0, text: 't', tokens: 1, embedding: Buffer.from([0, 0, 128, 63]) } });
    const center = await db.sketchCenter.create({ data: { dims: 1, center: Buffer.from([0, 0, 128, 63]) } });
    const project = await db.project.create({ data: { id: newId('project'), name: 'raw', createdAt: 11, status: 'active', maxActiveRuns: 2 } });
    const account = await db.serviceAccount.create({ data: { id: newId('serviceAccount'), projectId: project.id, name: 'sa', role: 'member', createdAt: 12 } });
    const apiKey = await db.apiKey.create({ data: { id: newId('apiKey'), projectId: project.id, serviceAccountId: account.id, name: 'k', hash: newId('apiKey'), redactedValue: 'sk-...x', createdAt: 13 } });
    const organization = await db.organization.findUniqueOrThrow({ where: { id: 'org_default' } });
    const window = await db.rateLimitWindow.create({ data: { projectId: project.id, startsAt: new Date(14_000), endsAt: new Date(74_000), requests: 1, tokens: 2 } });
    // Each model's row and the condition that finds it again.
    const rows: Record<Prisma.ModelName, [object, Prisma.Sql]> = {
      Thread: [thread, Prisma.sql`id = ${thread.id}`],
      Run: [run, Prisma.sql`id = ${run.id}`],
      Message: [message, Prisma.sql`id = ${message.id}`],
      RunStep: [step, Prisma.sql`id = ${step.id}`],
      Assistant: [assistant, Prisma.sql`id = ${assistant.id}`],
      File: [file, Prisma.sql`id = ${file.id}`],
      Response: [response, Prisma.sql`id = ${response.id}`],
      ResponseEvent: [event, Prisma.sql`response_id = ${event.responseId} AND seq = 0`],
      ConversationItem: [item, Prisma.sql`id = ${item.id}`],
      IdempotencyKey: [idempotency, Prisma.sql`key = ${idempotency.key}`],
      VectorStore: [store, Prisma.sql`id = ${store.id}`],
      VectorStoreFile: [storeFile, Prisma.sql`vector_store_id = ${store.id} AND file_id = ${file.id}`],
      VectorStoreFileBatch: [batch, Prisma.sql`id = ${batch.id}`],
      Chunk: [chunk, Prisma.sql`id = ${chunk.id}`],
      SketchCenter: [center, Prisma.sql`dims = 1`],
      Project: [project, Prisma.sql`id = ${project.id}`],
      ServiceAccount: [account, Prisma.sql`id = ${account.id}`],
      ApiKey: [apiKey, Prisma.sql`id = ${apiKey.id}`],
      Organization: [organization, Prisma.sql`id = 'org_default'`],
      RateLimitWindow: [window, Prisma.sql`project_id = ${project.id}`],
    };

    for (const model of Object.values(Prisma.ModelName)) {
      const [row, where] = rows[model];
      const [read] = await db.$queryRaw<unknown[]>`SELECT ${columnsOf(fieldsOf(model))} FROM ${Prisma.raw(`"${tables[model]}"`)} WHERE ${where}`;
      expect(read, model).toEqual(row);
    }
  });

  it('insertInto writes a whole row that Prisma reads back unchanged; null JSON is SQL NULL', async () => {
    const { thread, run } = await aThread();
    // Every field, as Prisma returns a row: a step Prisma wrote, copied under a new id.
    const written = await db.runStep.create({
      data: { id: newId('step'), runId: run.id, threadId: thread.id, assistantId: 'asst_raw', key: '0:message', createdAt: 7, type: 'message_creation', status: 'in_progress', stepDetails: { type: 'message_creation' } },
    });
    const step: RunStep = { ...written, id: newId('step'), key: '1:message', metadata: { k: 'v' } };
    await db.$executeRaw(insertInto('run_steps', step));
    expect(await db.runStep.findUnique({ where: { id: step.id } })).toEqual(step);
    const [nulls] = await db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM run_steps WHERE id = ${step.id} AND usage IS NULL AND last_error IS NULL`;
    expect(nulls!.n).toBe(1);
  });

  const newRun = (thread: { id: string; projectId: string }): NewRun => ({
    id: newId('run'),
    projectId: thread.projectId,
    threadId: thread.id,
    assistantId: 'asst_raw',
    createdAt: 1_700_000_002,
    status: 'queued',
    expiresAt: 1_700_000_602,
    model: 'm',
    instructions: 'be brief',
    additionalInstructions: null,
    tools: [{ type: 'function', function: { name: 'f', parameters: {} } }],
    toolResources: null,
    metadata: { k: 'v' },
    temperature: 0.25,
    topP: null,
    maxPromptTokens: null,
    maxCompletionTokens: 100,
    truncationStrategy: { type: 'last_messages', last_messages: 2 },
    toolChoice: 'auto',
    parallelToolCalls: false,
    responseFormat: { type: 'json_object' },
    reasoningEffort: 'low',
  });

  it('insertRun writes a run Prisma reads back as it returned it: bare-string JSON (`auto`) as JSON, null JSON as SQL NULL', async () => {
    const { thread, run: earlier } = await aThread();
    await db.run.update({ where: { id: earlier.id }, data: { status: 'completed' } });
    const run = newRun(thread);
    const returned = await insertRun(db, run);
    expect(returned).toMatchObject({ ...run, requiredAction: null, startedAt: null, usage: null });
    expect(await db.run.findUnique({ where: { id: run.id } })).toEqual(returned);
    const [types] = await db.$queryRaw<{ choice: string; resources: boolean }[]>`
      SELECT jsonb_typeof(tool_choice) AS choice, tool_resources IS NULL AS resources FROM runs WHERE id = ${run.id}`;
    expect(types).toEqual({ choice: 'string', resources: true });
  });

  it('insertRun writes nothing and returns null while the thread has an active run', async () => {
    const { thread } = await aThread(); // its run is in_progress
    const run = newRun(thread);
    expect(await insertRun(db, run)).toBeNull();
    expect(await db.run.findUnique({ where: { id: run.id } })).toBeNull();
  });

  it('writes: several updates in one statement, an SQL expression in SET, rows returned in id order', async () => {
    const { thread, run } = await aThread();
    const ids = [newId('message'), newId('message'), newId('message')];
    await db.message.createMany({ data: ids.map((id) => ({ id, threadId: thread.id, createdAt: 1, role: 'assistant', status: 'in_progress', runId: run.id })) });
    const [result] = await db.$queryRaw<{ run: unknown[]; messages: Message[] }[]>(
      writes({
        run: Prisma.sql`UPDATE runs SET ${setList({ status: 'completed', requiredAction: null, completedAt: Prisma.sql`created_at + 9` })} WHERE id = ${run.id} RETURNING ${columnsOf(Prisma.RunScalarFieldEnum)}`,
        messages: Prisma.sql`
          UPDATE messages SET ${setList({ status: 'incomplete', incompleteDetails: { reason: 'run_failed' } })}
          WHERE run_id = ${run.id} AND EXISTS (SELECT FROM run) RETURNING ${columnsOf(Prisma.MessageScalarFieldEnum)}`,
      }),
    );
    expect(result!.run).toEqual([await db.run.findUnique({ where: { id: run.id } })]);
    expect(result!.run[0]).toMatchObject({ status: 'completed', requiredAction: null, completedAt: run.createdAt + 9 });
    expect(result!.messages.map((m) => m.id)).toEqual([...ids].sort());
    expect(result!.messages).toEqual(await db.message.findMany({ where: { runId: run.id }, orderBy: { id: 'asc' } }));
    expect(result!.messages.every((m) => m.status === 'incomplete')).toBe(true);
  });
});
