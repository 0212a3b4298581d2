using Maebashi.Edge.Contract.Rules;

namespace Maebashi.Edge.Readers;

/// <summary>Timing of the reader loop; defaults suit a bus validator or a station terminal.</summary>
public sealed record ReaderSettings
{
    /// <summary>Time between polls of the field.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>A card that returns within this time of its tap is the same tap (docs/contract.md §3, repeat taps).</summary>
    public TimeSpan RepeatWindow { get; init; } = RuleWindows.Repeat;

    /// <summary>How often an idle reader is asked whether it still answers; detection stays within 2 s.</summary>
    public TimeSpan ProbeInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Consecutive empty presence checks before a held card counts as removed (one bad frame is not a removal).</summary>
    public int RemovalMisses { get; init; } = 2;

    /// <summary>Waits between attempts to bring a failed reader back.</summary>
    public TimeSpan RecoveryBackoff { get; init; } = TimeSpan.FromMilliseconds(500);
}
