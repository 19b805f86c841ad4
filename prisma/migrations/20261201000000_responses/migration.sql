-- CreateTable
CREATE TABLE "conversation_items" (
    "id" TEXT NOT NULL,
    "thread_id" TEXT NOT NULL,
    "created_at" INTEGER NOT NULL,
    "item" JSONB NOT NULL,

    CONSTRAINT "conversation_items_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "responses" (
    "id" TEXT NOT NULL,
    "created_at" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "background" BOOLEAN NOT NULL,
    "store" BOOLEAN NOT NULL,
    "model" TEXT NOT NULL,
    "instructions" TEXT,
    "conversation_id" TEXT,
    "previous_response_id" TEXT,
    "request" JSONB NOT NULL,
    "tools" JSONB NOT NULL DEFAULT '[]',
    "input" JSONB NOT NULL DEFAULT '[]',
    "output" JSONB NOT NULL DEFAULT '[]',
    "usage" JSONB,
    "error" JSONB,
    "incomplete_details" JSONB,
    "completed_at" INTEGER,

    CONSTRAINT "responses_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "response_events" (
    "response_id" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "event" JSONB NOT NULL,

    CONSTRAINT "response_events_pkey" PRIMARY KEY ("response_id","seq")
);

-- CreateIndex
CREATE INDEX "conversation_items_thread_id_id_idx" ON "conversation_items"("thread_id", "id");

-- AddForeignKey
ALTER TABLE "conversation_items" ADD CONSTRAINT "conversation_items_thread_id_fkey" FOREIGN KEY ("thread_id") REFERENCES "threads"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "responses" ADD CONSTRAINT "responses_conversation_id_fkey" FOREIGN KEY ("conversation_id") REFERENCES "threads"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "response_events" ADD CONSTRAINT "response_events_response_id_fkey" FOREIGN KEY ("response_id") REFERENCES "responses"("id") ON DELETE CASCADE ON UPDATE CASCADE;

