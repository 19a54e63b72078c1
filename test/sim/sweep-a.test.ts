/** Half of the CI simulation sweep; two files so the runner spreads them over both cores. */
import { sweepTest } from './sweep-support.ts';

sweepTest(1, 150);
