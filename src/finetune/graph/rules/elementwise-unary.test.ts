import { describeGradientChecks } from '../test-support/describe-cases.ts';

describeGradientChecks('elementwise-unary');
