/**
 * The load tool: replays recorded events (NDJSON) or generates realistic ones, through the whole pipeline against
 * the local stack, at a fixed rate or as fast as it sustains, and reports throughput and end-to-end latency.
 *
 *   npx tsx scripts/load.ts --generate 15000 --rate 250 --duration 60s --threshold 'p99<1000ms' --report r.json --chart r.svg
 *   npx tsx scripts/load.ts --max --duration 60s --pharmacies 2000
 *   npx tsx scripts/load.ts --file events.ndjson --rate 100
 *   npx tsx scripts/load.ts --generate 1000 --save events.ndjson        (write a file to replay)
 *
 * Exits 1 when a --threshold is broken, 2 on a usage error.
 */
import { writeFileSync } from 'node:fs';
import { GeneratedEvents } from './load/events';
import { parseLoadArgs, USAGE, wantsHelp, type LoadOptions } from './load/options';
import { pharmacyFiness } from './load/pki';
import { runLoad } from './load/run';

const HELP = `${USAGE}

Replays recorded events (--file, NDJSON) or generates realistic ones (--generate N), through the whole pipeline against the local stack, at a fixed rate (--rate) or as fast as it sustains
(--max, at most --window events in flight), for --duration; reports throughput and end-to-end latency.
  --pharmacies, --keys   pharmacies and distinct RSA keys of the test PKI (made once in --pki-dir)
  --threshold            a pass/fail rule: p99<1000ms, success>99.9%, throughput>=900/s, drain<30s, lag<5000
  --report, --chart      write the report as JSON, the latency chart as SVG
  --external PREFIX      use services already running on this topic prefix (separate processes)
  --save FILE            write the generated events as NDJSON and stop
Exits 1 when a --threshold is broken, 2 on a usage error.`;

async function main(): Promise<number> {
  if (wantsHelp(process.argv.slice(2))) {
    console.log(HELP);
    return 0;
  }
  let options: LoadOptions;
  try {
    options = parseLoadArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (options.save) {
    const gen = new GeneratedEvents(options.seed, pharmacyFiness(options.pharmacies), options.generate ?? 1000);
    const lines: string[] = [];
    for (let e = gen.next(); e; e = gen.next()) lines.push(JSON.stringify(e));
    writeFileSync(options.save, `${lines.join('\n')}\n`);
    console.log(`${lines.length} events written to ${options.save}`);
    return 0;
  }
  const { exitCode } = await runLoad(options);
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
