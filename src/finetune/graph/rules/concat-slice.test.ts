import { describeGradientChecks } from '../test-support/describe-cases.ts';

describeGradientChecks('concat-slice');
