/**
 * `npm run bench [-- workload...]`: runs the named workloads, or all of them.
 * Every workload is a module in this folder exporting `main()`.
 *
 * May touch: whatever the workloads do.
 */
const workloads: Record<string, () => Promise<{ main(): Promise<void> }>> = {
  nop: () => import('./nop.js'),
  fs: () => import('./fs.js'),
  http: () => import('./http.js'),
  throughput: () => import('./throughput.js'),
  echo: () => import('./echo.js'),
  cores: () => import('./cores.js'),
  interop: () => import('./interop.js'),
  dgram: () => import('./dgram.js'),
  static: () => import('./static.js'),
  sendfile: () => import('./sendfile.js'),
  fixed: () => import('./fixed.js'),
};

const asked = process.argv.slice(2);
const names = asked.length > 0 ? asked : Object.keys(workloads);
for (const n of names) {
  if (!workloads[n]) {
    console.error(`unknown workload '${n}'; known: ${Object.keys(workloads).join(', ')}`);
    process.exit(2);
  }
}
for (const n of names) {
  console.log(`\n=== ${n} ===`);
  await (await workloads[n]()).main();
}
