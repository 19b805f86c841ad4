-- AlterTable
ALTER TABLE "responses" ADD COLUMN     "tool_files" JSONB NOT NULL DEFAULT '[]';
