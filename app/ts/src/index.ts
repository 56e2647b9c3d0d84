// The vAMM program's TypeScript SDK: everything generated from
// idl/vamm.json (instruction builders, account decoders, types, errors,
// PDAs) and the hand-written pieces the IDL cannot express.
export * from './generated/index';
export * from './pdas';
export * from './remaining';
export * from './units';
