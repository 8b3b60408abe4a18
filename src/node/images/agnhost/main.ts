/**
 * The agnhost program: `node …/agnhost/main.(ts|js) <subcommand> [flags]`.
 * This is the entrypoint of skiff's built-in agnhost image (see ../builtin-image.ts).
 */
import { runAgnhost } from './cli.js';

const code = await runAgnhost(process.argv.slice(2));
if (code !== undefined) process.exit(code);
