-- Limits: each project's current rate-limit window (requests and tokens), and an index to count a
-- project's active responses against its cap on active runs.
-- The windows are UNLOGGED: counted on every request of a limited project, they need no WAL
-- flush per request, and a crash (or a failover) that loses them only restarts the windows.
-- CreateTable
CREATE UNLOGGED TABLE "rate_limit_windows" (
    "project_id" TEXT NOT NULL,
    "starts_at" TIMESTAMPTZ(3) NOT NULL,
    "ends_at" TIMESTAMPTZ(3) NOT NULL,
    "requests" INTEGER NOT NULL,
    "tokens" INTEGER NOT NULL,

    CONSTRAINT "rate_limit_windows_pkey" PRIMARY KEY ("project_id")
);

-- CreateIndex
CREATE INDEX "responses_project_id_status_idx" ON "responses"("project_id", "status");

