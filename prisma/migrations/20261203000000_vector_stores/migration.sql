-- CreateTable
CREATE TABLE "vector_stores" (
    "id" TEXT NOT NULL,
    "created_at" INTEGER NOT NULL,
    "name" TEXT,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "expires_after" JSONB,
    "expires_at" INTEGER,
    "last_active_at" INTEGER NOT NULL,
    "expired" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "vector_stores_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "vector_store_files" (
    "file_id" TEXT NOT NULL,
    "vector_store_id" TEXT NOT NULL,
    "created_at" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "last_error" JSONB,
    "chunking_strategy" JSONB NOT NULL,
    "attributes" JSONB NOT NULL DEFAULT '{}',
    "usage_bytes" INTEGER NOT NULL DEFAULT 0,
    "batch_id" TEXT,

    CONSTRAINT "vector_store_files_pkey" PRIMARY KEY ("vector_store_id","file_id")
);

-- CreateTable
CREATE TABLE "vector_store_file_batches" (
    "id" TEXT NOT NULL,
    "vector_store_id" TEXT NOT NULL,
    "created_at" INTEGER NOT NULL,
    "status" TEXT NOT NULL,

    CONSTRAINT "vector_store_file_batches_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "chunks" (
    "id" BIGSERIAL NOT NULL,
    "vector_store_id" TEXT NOT NULL,
    "file_id" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "text" TEXT NOT NULL,
    "tokens" INTEGER NOT NULL,
    "embedding" BYTEA NOT NULL,
    "lsh" INTEGER[],
    "tsv" tsvector,

    CONSTRAINT "chunks_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "vector_store_files_vector_store_id_status_file_id_idx" ON "vector_store_files"("vector_store_id", "status", "file_id");

-- CreateIndex
CREATE INDEX "vector_store_files_file_id_idx" ON "vector_store_files"("file_id");

-- CreateIndex
CREATE INDEX "vector_store_files_batch_id_file_id_idx" ON "vector_store_files"("batch_id", "file_id");

-- CreateIndex
CREATE INDEX "vector_store_file_batches_vector_store_id_id_idx" ON "vector_store_file_batches"("vector_store_id", "id");

-- CreateIndex
CREATE INDEX "chunks_lsh_idx" ON "chunks" USING GIN ("lsh");

-- CreateIndex
CREATE INDEX "chunks_tsv_idx" ON "chunks" USING GIN ("tsv");

-- CreateIndex
CREATE UNIQUE INDEX "chunks_vector_store_id_file_id_seq_key" ON "chunks"("vector_store_id", "file_id", "seq");
