// Generates src/generated from the committed IDL (idl/vamm.json) with
// Codama: instruction builders, account decoders, types, errors and the
// program's address. `--check` renders into a temporary folder and fails
// when the committed code differs (the test command runs it, as it checks
// the IDL itself).
import { rootNodeFromAnchor } from '@codama/nodes-from-anchor';
import { renderVisitor } from '@codama/renderers-js';
import { constantPdaSeedNodeFromString, createFromRoot, numberTypeNode, variablePdaSeedNode } from 'codama';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const idlPath = join(packageDir, '..', '..', 'idl', 'vamm.json');
const generated = 'src/generated';

// A proposal's PDA is seeded by its id (`["proposal", id as u64 LE]`, the
// exchange's `proposal_count` when queued). Anchor's IDL records that seed
// as the `exchange` account itself (a field of a zero-copy account is not
// expressible there), so the converted PDA would derive the wrong address:
// it is replaced by the real seeds, and queue_proposal's default for the
// `proposal` account is dropped (callers pass `findProposalPda({ id })`).
function withProposalSeeds(root) {
  const copy = JSON.parse(JSON.stringify(root));
  const proposal = copy.program.pdas.find((pda) => pda.name === 'proposal');
  proposal.seeds = [
    constantPdaSeedNodeFromString('utf8', 'proposal'),
    variablePdaSeedNode('id', numberTypeNode('u64'), ["The proposal's id (the exchange's proposal_count when it was queued)."]),
  ];
  for (const instruction of copy.program.instructions) {
    for (const account of instruction.accounts) {
      if (account.name === 'proposal') delete account.defaultValue;
    }
  }
  return copy;
}

async function render(targetPackageDir) {
  const idl = JSON.parse(readFileSync(idlPath, 'utf8'));
  const codama = createFromRoot(withProposalSeeds(rootNodeFromAnchor(idl)));
  await codama.accept(
    renderVisitor(targetPackageDir, {
      generatedFolder: generated,
      // The package's dependencies are pinned by hand (package-lock.json).
      syncPackageJson: false,
      deleteFolderBeforeRendering: true,
      // One dependency, @solana/kit (its program-client-core subpath
      // included), pinned in package.json.
      kitImportStrategy: 'rootOnly',
    }),
  );
}

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

if (process.argv.includes('--check')) {
  const scratch = mkdtempSync(join(tmpdir(), 'vamm-ts-generated-'));
  try {
    await render(scratch);
    const fresh = join(scratch, generated);
    const committed = join(packageDir, generated);
    const list = (dir) => files(dir).map((f) => relative(dir, f)).sort();
    const freshFiles = list(fresh);
    const committedFiles = list(committed);
    const stale = [
      ...freshFiles.filter((f) => !committedFiles.includes(f)).map((f) => `missing: ${f}`),
      ...committedFiles.filter((f) => !freshFiles.includes(f)).map((f) => `extra: ${f}`),
      ...freshFiles
        .filter((f) => committedFiles.includes(f))
        .filter((f) => readFileSync(join(fresh, f), 'utf8') !== readFileSync(join(committed, f), 'utf8'))
        .map((f) => `differs: ${f}`),
    ];
    if (stale.length > 0) {
      console.error(`app/ts/${generated} is stale against idl/vamm.json (run npm run generate in app/ts):`);
      for (const line of stale) console.error(`  ${line}`);
      process.exit(1);
    }
    console.log(`app/ts/${generated} matches idl/vamm.json (${freshFiles.length} files)`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
} else {
  await render(packageDir);
  console.log(`generated app/ts/${generated} from idl/vamm.json`);
}
