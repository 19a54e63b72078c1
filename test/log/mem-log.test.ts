/** The log contract on the simulated disk, plus what only a simulated disk can show: crashes. */
import { logContract } from './log-contract.ts';
import { memHarness } from './log-harness.ts';
import { memCrashTests } from './mem-log-crash.ts';

logContract(memHarness);
memCrashTests();
