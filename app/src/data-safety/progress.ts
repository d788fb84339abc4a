/** Per-table progress: a redrawn line on a terminal, plain lines (every 10%) in logs and CI. */
export interface ProgressReporter {
  start(table: string, total: number): void;
  update(table: string, done: number): void;
  finish(table: string, done: number, seconds: number): void;
  note(message: string): void;
}

export function createProgressReporter(stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  const tty = Boolean(stream.isTTY);
  const totals = new Map<string, number>();
  const lastDecile = new Map<string, number>();
  const bar = (done: number, total: number) => {
    const width = 30;
    const filled = total ? Math.round((done / total) * width) : width;
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  };
  return {
    start(table, total) {
      totals.set(table, total);
      lastDecile.set(table, -1);
      if (!tty) stream.write(`${table}: copying ${total} rows\n`);
    },
    update(table, done) {
      const total = totals.get(table) ?? 0;
      if (tty) {
        stream.write(`\r${table.padEnd(20)} ${bar(done, total)} ${done}/${total}`);
        return;
      }
      const decile = total ? Math.floor((done / total) * 10) : 10;
      if (decile > (lastDecile.get(table) ?? -1) && decile < 10) {
        lastDecile.set(table, decile);
        stream.write(`${table}: ${decile * 10}% (${done}/${total})\n`);
      }
    },
    finish(table, done, seconds) {
      const line = `${table}: ${done} rows in ${seconds.toFixed(2)} s`;
      stream.write(tty ? `\r${table.padEnd(20)} ${bar(done, done)} ${line.slice(table.length + 2)}\n` : `${line}\n`);
    },
    note(message) {
      stream.write(`${message}\n`);
    },
  };
}

export const silentProgress: ProgressReporter = { start() {}, update() {}, finish() {}, note() {} };
