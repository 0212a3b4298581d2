using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Rules;

namespace Maebashi.Edge.Ingest.Pipeline;

/// <summary>The rules as the pipeline calls them (WalletRules.EvaluateDays by default): from a day checkpoint, with the facts of that day on.</summary>
public delegate DayEvaluation WalletEvaluator(CityRegistry registry, PersonHistory history, DayCheckpoint? from, DateTimeOffset now);

/// <summary>What became of one <c>evt</c> publish.</summary>
public sealed class BatchOutcome
{
    public required string Device { get; init; }

    /// <summary>Set when the whole batch was rejected (quarantined, not acknowledged).</summary>
    public string? RejectedReason { get; init; }

    /// <summary>The ack to publish on the device's ack topic; null for a rejected batch.</summary>
    public Ack? Ack { get; init; }

    public bool IsRejected => RejectedReason is not null;
}

public enum ChargeStatus
{
    Applied,
    Duplicate,
    Conflict,
}

public sealed record ChargeOutcome(ChargeStatus Status, long Value, long Points);
