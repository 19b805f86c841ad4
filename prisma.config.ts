import 'dotenv/config';
import { PrismaPg } from '@prisma/adapter-pg';
import { defineConfig } from 'prisma/config';

// Prisma's engine download server is unreachable offline, so the CLI runs on the WASM
// schema engine through the pg driver adapter (README, "Migrations").
// `generate` needs the variable to exist even though it never connects.
process.env.DATABASE_URL ||= 'postgresql://localhost:5432/assistants';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  adapter: async () => new PrismaPg({ connectionString: process.env.DATABASE_URL }),
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
