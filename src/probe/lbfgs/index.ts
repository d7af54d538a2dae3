/**
 * L2-regularised logistic / softmax regression by L-BFGS, matching scikit-learn 1.2's
 * `LogisticRegression(solver='lbfgs')`: the solver behind `Probe`.
 *
 * @packageDocumentation
 */
export { fitLogisticRegression, predictLogisticProba } from './logistic-regression.js';
export type { LbfgsFitOptions, LbfgsFitResult } from './logistic-regression.js';
