/** The log contract on the real file system. */
import { logContract } from './log-contract.ts';
import { fileHarness } from './log-harness.ts';

logContract(fileHarness);
