// `anchor migrate` runs this file after a deploy. The deploy step itself is
// Rust (`vamm gov migrate`, through the client library): it initialises the
// exchange and lists the markets of migrations/deploy.toml, skipping what
// already exists, and prints what it did. Anchor's provider settings (cluster
// URL and wallet) are passed through.
import { execFileSync } from "child_process";

module.exports = async function (provider: { connection: { rpcEndpoint: string }; wallet?: { payer?: unknown } }) {
  const url = provider.connection.rpcEndpoint;
  const keypair = process.env.ANCHOR_WALLET ?? `${process.env.HOME}/.config/solana/id.json`;
  execFileSync(
    "cargo",
    ["run", "--quiet", "--locked", "--profile", "sandbox", "-p", "vamm-cli", "--",
     "--url", url, "--keypair", keypair, "gov", "migrate", "--config", "migrations/deploy.toml"],
    { stdio: "inherit", cwd: `${__dirname}/..` },
  );
};
