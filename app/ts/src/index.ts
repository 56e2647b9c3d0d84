// The vAMM program's TypeScript SDK: everything generated from
// idl/vamm.json (instruction builders, account decoders, types, errors,
// PDAs) and the hand-written pieces the IDL cannot express.
export * from './generated/index';
export * from './pdas';
export * from './remaining';
export * from './units';
export * from './accounts';
export * from './preview';
export * from './transaction';
export * from './errors';
export { VammMathError } from './math/checked';
export { LONG, SHORT, type Size, type TradeDirection } from './math/amm';
export {
  averageEntryPrice,
  equity,
  initialEquity,
  notional,
  unrealisedPnl,
  type AccountMargin,
} from './math/margin';
