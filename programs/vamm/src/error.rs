use anchor_lang::prelude::*;

/// Every refusal the program can return, grouped by subsystem. Codes are
/// stable: new variants are appended, never inserted.
#[error_code]
pub enum VammError {
    // --- arithmetic ---
    #[msg("Arithmetic overflow or underflow")]
    MathOverflow,
    #[msg("Division by zero")]
    DivisionByZero,
    #[msg("A value does not fit the target integer type")]
    CastOverflow,

    // --- authority and accounts ---
    #[msg("Signer is not the exchange admin")]
    NotAdmin,
    #[msg("Signer is neither the trader account's owner nor its delegate")]
    NotOwnerOrDelegate,
    #[msg("Only the trader account's owner may do this")]
    NotOwner,
    #[msg("Token account mint is not the exchange collateral mint")]
    WrongCollateralMint,
    #[msg("Token account is not the exchange vault")]
    WrongVault,
    #[msg("Token account is not owned by the signer")]
    WrongTokenAccountOwner,
    #[msg("Market account does not belong to this exchange")]
    WrongMarket,
    #[msg("A market needed to value the account was not passed in remaining accounts")]
    MissingMarketAccount,
    #[msg("An oracle needed to value the account was not passed")]
    MissingOracleAccount,
    #[msg("Sub-account id is out of range")]
    InvalidSubAccountId,

    // --- arguments ---
    #[msg("Amount must be greater than zero")]
    ZeroAmount,
    #[msg("Amount is above the largest accepted value")]
    AmountTooLarge,
    #[msg("Market parameter is outside its governance bounds")]
    InvalidMarketParameter,
    #[msg("Market name must be 1 to 16 printable ASCII bytes")]
    InvalidMarketName,
    #[msg("Oracle configuration is invalid")]
    InvalidOracleConfig,

    // --- oracle ---
    #[msg("Oracle account is not owned by the expected oracle program")]
    OracleWrongOwner,
    #[msg("Oracle account is not the one this market is configured with")]
    OracleWrongAccount,
    #[msg("Oracle account data could not be decoded")]
    OracleInvalidData,
    #[msg("Oracle feed id does not match the market's feed id")]
    OracleWrongFeedId,
    #[msg("Oracle update is not fully verified")]
    OracleNotVerified,
    #[msg("Oracle price is older than the market's maximum age")]
    OracleStale,
    #[msg("Oracle update is older than the last one this market used")]
    OracleNotMonotonic,
    #[msg("Oracle confidence interval is too wide")]
    OracleConfidenceTooWide,
    #[msg("Oracle price is zero or negative")]
    OracleNonPositivePrice,
    #[msg("Primary and secondary oracles disagree beyond the consensus band")]
    OracleDisagreement,

    // --- market and AMM ---
    #[msg("Market status does not allow this action")]
    MarketNotActive,
    #[msg("Market is reduce-only")]
    MarketReduceOnly,
    #[msg("Trade would move the price outside the AMM's liquidity range")]
    AmmRangeExceeded,
    #[msg("Trade is too small to move any base or quote")]
    TradeTooSmall,
    #[msg("Average fill price is worse than the limit price")]
    LimitPriceExceeded,
    #[msg("Mark price is too far from the oracle price for a risk-increasing trade")]
    MarkOracleDivergence,
    #[msg("Trade would exceed the market's open-interest cap")]
    OpenInterestCapExceeded,
    #[msg("Trade would exceed the per-account position cap")]
    PositionCapExceeded,
    #[msg("Exchange has reached its maximum number of markets")]
    TooManyMarkets,

    // --- positions and margin ---
    #[msg("Reduce-only order would increase or flip the position")]
    ReduceOnlyWouldIncrease,
    #[msg("No open position in this market")]
    NoPosition,
    #[msg("Trader account has no free position slot")]
    NoFreePositionSlot,
    #[msg("Account would be below its initial margin requirement")]
    InsufficientMargin,
    #[msg("Trade would worsen an account below maintenance margin")]
    MaintenanceMarginWorsened,
    #[msg("Amount exceeds the account's free collateral")]
    InsufficientFreeCollateral,
    #[msg("Trader account still holds collateral, positions or claims")]
    TraderAccountNotEmpty,
    #[msg("Close size exceeds the position size")]
    CloseExceedsPosition,

    // --- funding, liquidation, insurance (appended) ---
    #[msg("Funding is not due yet")]
    FundingNotDue,
    #[msg("Account is not below its maintenance margin")]
    NotLiquidatable,
    #[msg("An account cannot liquidate itself or another account of the same owner")]
    SelfLiquidation,
    #[msg("Another market of this account carries more risk")]
    NotRiskiestMarket,
    #[msg("Liquidation step would not improve the account's margin")]
    LiquidationDidNotImprove,
    #[msg("Account still has open positions: liquidate them first")]
    BankruptcyNeedsLiquidation,
    #[msg("No unpaid loss in this market")]
    NoBadDebt,
    #[msg("Stake would mint no shares")]
    StakeTooSmall,
    #[msg("Not enough shares")]
    InsufficientShares,
    #[msg("No unstake request is pending")]
    NoUnstakeRequest,
    #[msg("Unstake cooldown has not elapsed")]
    CooldownNotElapsed,
    #[msg("Token account is not the exchange insurance vault")]
    WrongInsuranceVault,
    #[msg("The account still has profit claims in other markets to apply first")]
    ClaimsOutstanding,
    #[msg("The unstake request expired: request again")]
    UnstakeRequestExpired,
    #[msg("This market status change is not allowed")]
    InvalidStatusTransition,
    #[msg("The guardian may only pause")]
    GuardianMayOnlyPause,
    #[msg("The market's fee pool cannot pay for this repeg")]
    RepegCostExceedsFeePool,
    #[msg("Oracle price is outside the jump band and held until it persists for the confirmation time")]
    OracleJumpUnconfirmed,
    #[msg("Trade would move the mark too far within one slot")]
    SlotMoveLimitExceeded,
    #[msg("Only a paused market can be settled")]
    MarketNotPaused,
    #[msg("The market is not settled")]
    MarketNotSettled,
    #[msg("Oracle result aggregates fewer samples than the market requires")]
    OracleTooFewSamples,
    #[msg("The account holds no profit claim in this market")]
    NoClaim,
    #[msg("The market's PnL pool cannot pay any of this claim yet")]
    PnlPoolEmpty,
    #[msg("A settled market pays claims once every position is closed and every loss resolved")]
    SettlementNotFinal,
    #[msg("The destination is one of the program's own vaults")]
    DestinationIsProgramVault,
    #[msg("Every listed market must be passed, once each, to price insurance shares")]
    MissingMarkets,
    #[msg("Recorded bad debt exceeds the insurance fund: resolve it before staking")]
    BadDebtPending,
    #[msg("The curve pays this liquidation more than the oracle price: liquidate into the curve first")]
    CurvePaysMore,
    #[msg("Signer is not the program's upgrade authority")]
    NotUpgradeAuthority,
    #[msg("The collateral mint must have 6 decimals")]
    WrongCollateralDecimals,
    #[msg("Signer is not the proposed admin")]
    NotPendingAdmin,
    #[msg("This change may raise risk or move value: queue it through the timelock")]
    RequiresTimelock,
    #[msg("The proposal is not queued (already executed or cancelled)")]
    ProposalNotQueued,
    #[msg("The timelock delay has not passed yet")]
    TimelockNotElapsed,
    #[msg("The proposal expired: queue it again")]
    ProposalExpired,
    #[msg("The proposal is for another action, market or accounts")]
    ProposalMismatch,
    #[msg("Timelock delay out of bounds (1 hour to 14 days)")]
    InvalidTimelockDelay,
    #[msg("Signer is neither the admin nor the guardian")]
    NotAdminOrGuardian,
    #[msg("No treasury token account is set, or this is not it")]
    WrongTreasury,
    #[msg("This depth change costs more than its proposal allows or the fee pool holds")]
    DepthCostExceedsFeePool,
    #[msg("The mark has not stayed beyond the repeg gap for the repeg delay: only the admin may repeg now")]
    RepegNotDue,
    #[msg("Not an address lookup table: the account must be owned by the address lookup table program")]
    NotALookupTable,
}
