-- AlterTable
ALTER TABLE "assistants" ADD COLUMN     "reasoning_effort" TEXT;

-- AlterTable
ALTER TABLE "runs" ADD COLUMN     "reasoning_effort" TEXT;

