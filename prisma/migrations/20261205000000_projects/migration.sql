-- Projects (tenancy): every top-level object gets a project; what exists already belongs to
-- the default project, which API_KEYS and the open single-user mode use.
-- DropIndex
DROP INDEX "files_purpose_id_idx";

-- AlterTable
ALTER TABLE "assistants" ADD COLUMN     "project_id" TEXT NOT NULL DEFAULT 'proj_default';
ALTER TABLE "assistants" ALTER COLUMN "project_id" DROP DEFAULT;

-- AlterTable
ALTER TABLE "threads" ADD COLUMN     "project_id" TEXT NOT NULL DEFAULT 'proj_default';
ALTER TABLE "threads" ALTER COLUMN "project_id" DROP DEFAULT;

-- AlterTable
ALTER TABLE "runs" ADD COLUMN     "project_id" TEXT NOT NULL DEFAULT 'proj_default';
ALTER TABLE "runs" ALTER COLUMN "project_id" DROP DEFAULT;

-- AlterTable
ALTER TABLE "files" ADD COLUMN     "project_id" TEXT NOT NULL DEFAULT 'proj_default';
ALTER TABLE "files" ALTER COLUMN "project_id" DROP DEFAULT;

-- AlterTable
ALTER TABLE "responses" ADD COLUMN     "project_id" TEXT NOT NULL DEFAULT 'proj_default';
ALTER TABLE "responses" ALTER COLUMN "project_id" DROP DEFAULT;

-- AlterTable
ALTER TABLE "vector_stores" ADD COLUMN     "project_id" TEXT NOT NULL DEFAULT 'proj_default';
ALTER TABLE "vector_stores" ALTER COLUMN "project_id" DROP DEFAULT;

-- CreateTable
CREATE TABLE "projects" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "archived_at" INTEGER,
    "max_requests_per_minute" INTEGER,
    "max_tokens_per_minute" INTEGER,
    "max_active_runs" INTEGER,

    CONSTRAINT "projects_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "service_accounts" (
    "id" TEXT NOT NULL,
    "project_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "created_at" INTEGER NOT NULL,

    CONSTRAINT "service_accounts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_keys" (
    "id" TEXT NOT NULL,
    "project_id" TEXT NOT NULL,
    "service_account_id" TEXT,
    "name" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "redacted_value" TEXT NOT NULL,
    "created_at" INTEGER NOT NULL,
    "last_used_at" INTEGER,

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "organizations" (
    "id" TEXT NOT NULL,
    "created_at" INTEGER NOT NULL,
    "admin_key_hash" TEXT,
    "keys_required_since" INTEGER,

    CONSTRAINT "organizations_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "service_accounts_project_id_id_idx" ON "service_accounts"("project_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_hash_key" ON "api_keys"("hash");

-- CreateIndex
CREATE INDEX "api_keys_project_id_id_idx" ON "api_keys"("project_id", "id");

-- CreateIndex
CREATE INDEX "assistants_project_id_id_idx" ON "assistants"("project_id", "id");

-- CreateIndex
CREATE INDEX "runs_project_id_status_idx" ON "runs"("project_id", "status");

-- CreateIndex
CREATE INDEX "files_project_id_purpose_id_idx" ON "files"("project_id", "purpose", "id");

-- CreateIndex
CREATE INDEX "files_project_id_id_idx" ON "files"("project_id", "id");

-- CreateIndex
CREATE INDEX "responses_project_id_created_at_idx" ON "responses"("project_id", "created_at");

-- CreateIndex
CREATE INDEX "vector_stores_project_id_id_idx" ON "vector_stores"("project_id", "id");

-- AddForeignKey
ALTER TABLE "service_accounts" ADD CONSTRAINT "service_accounts_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_service_account_id_fkey" FOREIGN KEY ("service_account_id") REFERENCES "service_accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- The organization and its default project (src/tenancy/authenticator.ts).
INSERT INTO "organizations" ("id", "created_at") VALUES ('org_default', EXTRACT(EPOCH FROM now())::int);
INSERT INTO "projects" ("id", "name", "created_at", "status") VALUES ('proj_default', 'Default project', EXTRACT(EPOCH FROM now())::int, 'active');
