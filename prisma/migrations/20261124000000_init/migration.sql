-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "assistants" (
    "id" TEXT NOT NULL,
    "created_at" INTEGER NOT NULL,
    "name" TEXT,
    "description" TEXT,
    "model" TEXT NOT NULL,
    "instructions" TEXT,
    "tools" JSONB NOT NULL DEFAULT '[]',
    "tool_resources" JSONB,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "temperature" DOUBLE PRECISION,
    "top_p" DOUBLE PRECISION,
    "response_format" JSONB,

    CONSTRAINT "assistants_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "threads" (
    "id" TEXT NOT NULL,
    "created_at" INTEGER NOT NULL,
    "tool_resources" JSONB,
    "metadata" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "threads_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "messages" (
    "id" TEXT NOT NULL,
    "thread_id" TEXT NOT NULL,
    "created_at" INTEGER NOT NULL,
    "role" TEXT NOT NULL,
    "content" JSONB NOT NULL DEFAULT '[]',
    "status" TEXT NOT NULL,
    "incomplete_details" JSONB,
    "completed_at" INTEGER,
    "incomplete_at" INTEGER,
    "assistant_id" TEXT,
    "run_id" TEXT,
    "attachments" JSONB NOT NULL DEFAULT '[]',
    "metadata" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "messages_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "runs" (
    "id" TEXT NOT NULL,
    "thread_id" TEXT NOT NULL,
    "assistant_id" TEXT NOT NULL,
    "created_at" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "required_action" JSONB,
    "last_error" JSONB,
    "expires_at" INTEGER,
    "started_at" INTEGER,
    "cancelled_at" INTEGER,
    "failed_at" INTEGER,
    "completed_at" INTEGER,
    "incomplete_details" JSONB,
    "usage" JSONB,
    "model" TEXT NOT NULL,
    "instructions" TEXT,
    "additional_instructions" TEXT,
    "tools" JSONB NOT NULL DEFAULT '[]',
    "tool_resources" JSONB,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "temperature" DOUBLE PRECISION,
    "top_p" DOUBLE PRECISION,
    "max_prompt_tokens" INTEGER,
    "max_completion_tokens" INTEGER,
    "truncation_strategy" JSONB NOT NULL,
    "tool_choice" JSONB NOT NULL,
    "parallel_tool_calls" BOOLEAN NOT NULL,
    "response_format" JSONB NOT NULL,

    CONSTRAINT "runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "run_steps" (
    "id" TEXT NOT NULL,
    "run_id" TEXT NOT NULL,
    "thread_id" TEXT NOT NULL,
    "assistant_id" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "created_at" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "step_details" JSONB NOT NULL,
    "last_error" JSONB,
    "expired_at" INTEGER,
    "cancelled_at" INTEGER,
    "failed_at" INTEGER,
    "completed_at" INTEGER,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "usage" JSONB,
    "model_usage" JSONB,

    CONSTRAINT "run_steps_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "files" (
    "id" TEXT NOT NULL,
    "created_at" INTEGER NOT NULL,
    "bytes" INTEGER NOT NULL,
    "filename" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "status_details" TEXT,
    "expires_at" INTEGER,
    "object_key" TEXT NOT NULL,

    CONSTRAINT "files_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "messages_thread_id_id_idx" ON "messages"("thread_id", "id");

-- CreateIndex
CREATE INDEX "messages_run_id_idx" ON "messages"("run_id");

-- CreateIndex
CREATE INDEX "runs_thread_id_id_idx" ON "runs"("thread_id", "id");

-- CreateIndex
CREATE INDEX "runs_thread_id_status_idx" ON "runs"("thread_id", "status");

-- CreateIndex
CREATE INDEX "run_steps_run_id_id_idx" ON "run_steps"("run_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "run_steps_run_id_key_key" ON "run_steps"("run_id", "key");

-- CreateIndex
CREATE INDEX "files_purpose_id_idx" ON "files"("purpose", "id");

-- AddForeignKey
ALTER TABLE "messages" ADD CONSTRAINT "messages_thread_id_fkey" FOREIGN KEY ("thread_id") REFERENCES "threads"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "runs" ADD CONSTRAINT "runs_thread_id_fkey" FOREIGN KEY ("thread_id") REFERENCES "threads"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run_steps" ADD CONSTRAINT "run_steps_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

