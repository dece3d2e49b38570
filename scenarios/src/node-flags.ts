/**
 * The V8 flags for an edgeproof process on a cloud host. Whatever edgeproof itself starts with
 * `process.execPath` passes them: the scenario runner's component processes and the cloudhub
 * bench's cloudcore, so the bench measures what the runner runs. The `edgeproof` executable does
 * not: its shebang stays `#!/usr/bin/env node`, since BusyBox's env (Alpine, OpenWrt, many Yocto
 * gateway images) has no `-S` to split `node --flag` out of one shebang argument, and edgecore must
 * start there. On a cloud host, `NODE_OPTIONS=--max-semi-space-size=16 npx edgeproof up` sets it
 * (NODE_OPTIONS accepts this V8 flag).
 *
 * --max-semi-space-size=16: Node 24's V8 sizes the young generation from the machine's memory, up
 * to 64 MB per semi-space on a 24 GiB machine (new space measured at 134 MB, empty after a full GC).
 * cloudcore's garbage is short-lived (one message, one API call), so 16 MB semi-spaces — Node 20's
 * default — collect it as well. `npm run bench:cloudhub` at 5,000 nodes, interleaved runs of
 * 2026-12-03: cloudcore's steady RSS 935 and 983 MB without the flag, 837–886 MB with it (6 runs),
 * with no more CPU (20.7–29.0 s to register in the runs beside the flagless ones' 24.2–26.8 s);
 * 8 MB semi-spaces saved no more (866, 876 MB) and cost CPU (26.4, 35.0 s).
 *
 * Not taken: --heap-growing-percent=50 (V8 lets the old generation grow to about 3.5 times its live
 * size before a major GC; cloudcore's live heap at 5,000 nodes is about 110 MB). It cut steady RSS
 * by about 210 MB in each of 4 interleaved runs (624–646 MB against 837–886 MB) but took the herd
 * longer to connect (median 38.5 s against 29.8 s), and connect time is the goal further off.
 * Memory saver mode (--memory-saver-mode) was worse on both: 122.6 s to connect.
 */
export const EDGEPROOF_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=16'];
