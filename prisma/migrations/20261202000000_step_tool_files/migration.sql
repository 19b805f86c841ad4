-- AlterTable
ALTER TABLE "run_steps" ADD COLUMN     "tool_files" JSONB NOT NULL DEFAULT '[]';
