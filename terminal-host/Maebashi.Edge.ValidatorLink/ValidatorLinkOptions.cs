using Maebashi.Edge.Contract.Rules;

namespace Maebashi.Edge.ValidatorLink;

/// <summary>How the host polls its validators. Defaults suit 115200 Bd 8N1 RS-485 with two validators.</summary>
public sealed class ValidatorLinkOptions
{
    /// <summary>Validator addresses on the line (front door 1, rear door 2).</summary>
    public IList<byte> Addresses { get; } = new List<byte> { 1, 2 };

    /// <summary>How long to wait for a validator's answer to one frame (a 40-byte frame takes ~3.5 ms at 115200 Bd).</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromMilliseconds(25);

    /// <summary>Resends of one frame before the validator counts as offline for this round.</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>Frames exchanged with one validator in a row (backlog draining) before the next gets its turn; keeps
    /// every validator's verdict question within its 100 ms.</summary>
    public int BurstLimit { get; set; } = 8;

    /// <summary>An offline validator is polled this often, so a dead one does not slow the others.</summary>
    public TimeSpan OfflinePollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Pause between polling rounds.</summary>
    public TimeSpan RoundGap { get; set; } = TimeSpan.FromMilliseconds(2);

    /// <summary>Budget for <see cref="IValidatorTapHandler.DecideAsync"/>; later answers are dropped (validator goes offline-accept).</summary>
    public TimeSpan VerdictBudget { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Sent to validators in Config.</summary>
    public int VerdictTimeoutMs { get; set; } = 100;

    /// <summary>Sent to validators in Config: the repeat window in whole seconds (the link's unit).</summary>
    public int RepeatWindowSeconds { get; set; } = (int)RuleWindows.Repeat.TotalSeconds;

    /// <summary>Antenna gain (RFCfgReg RxGain: 0x00–0x70), null to leave the validator's own.</summary>
    public byte? AntennaGain { get; set; }
}
