-- DropIndex
DROP INDEX "chunks_lsh_idx";

-- AlterTable
ALTER TABLE "chunks" DROP COLUMN "lsh",
ADD COLUMN     "sketch" bit(512);

-- CreateTable
CREATE TABLE "sketch_centers" (
    "dims" INTEGER NOT NULL,
    "center" BYTEA NOT NULL,

    CONSTRAINT "sketch_centers_pkey" PRIMARY KEY ("dims")
);

-- CreateIndex
CREATE INDEX "chunks_vector_store_id_file_id_id_sketch_idx" ON "chunks"("vector_store_id", "file_id", "id", "sketch");

