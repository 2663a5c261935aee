// Where the CPU went during a load step: the service, Postgres (every backend), Redis, the load
// generator itself and the whole machine, in cores, from /proc. It tells a saturated service event
// loop (about one core) from a busy database, and shows what else the machine was doing.
import { readdirSync, readFileSync } from 'node:fs';

export interface CpuUse {
  /** Cores used on average over the step (1 = one core busy all the time). */
  service: number;
  /** The Postgres backends serving the service's database (other databases on the server are not counted). */
  postgres: number;
  redis: number;
  loadGenerator: number;
  /** Every process of the machine, this run's and everyone else's. */
  machine: number;
  /** Cores of the machine. */
  cores: number;
}

const TICKS = 100; // USER_HZ on Linux

function processTicks(pid: number | 'self'): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/** CPU ticks of every process named `command`; with `argument`, only those whose command line has it (a backend's database). */
function ticksOf(command: string, argument?: string): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== command) continue;
      if (argument && !readFileSync(`/proc/${entry}/cmdline`, 'utf8').split(/[\s\0]+/).includes(argument)) continue;
      total += processTicks(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

function machineTicks(): { busy: number; cores: number } {
  const lines = readFileSync('/proc/stat', 'utf8').split('\n');
  const [, ...values] = (lines[0] ?? '').trim().split(/\s+/).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = values;
  return { busy: user + nice + system + irq + softirq + steal, cores: lines.filter((line) => /^cpu\d+ /.test(line)).length };
}

/** Starts measuring; the returned function gives the average use since then. Zeros where /proc is missing. */
export function measureCpu(servicePid: number, database: string): () => CpuUse {
  try {
    const start = { service: processTicks(servicePid), postgres: ticksOf('postgres', database), redis: ticksOf('redis-server'), self: processTicks('self'), machine: machineTicks(), at: performance.now() };
    return () => {
      const seconds = (performance.now() - start.at) / 1000;
      const machine = machineTicks();
      const cores = (ticks: number) => Math.round((ticks / TICKS / seconds) * 100) / 100;
      return {
        service: cores(processTicks(servicePid) - start.service),
        postgres: cores(ticksOf('postgres', database) - start.postgres),
        redis: cores(ticksOf('redis-server') - start.redis),
        loadGenerator: cores(processTicks('self') - start.self),
        machine: cores(machine.busy - start.machine.busy),
        cores: machine.cores,
      };
    };
  } catch {
    return () => ({ service: 0, postgres: 0, redis: 0, loadGenerator: 0, machine: 0, cores: 0 });
  }
}
