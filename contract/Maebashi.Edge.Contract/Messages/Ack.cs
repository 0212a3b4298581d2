namespace Maebashi.Edge.Contract.Messages;

/// <summary>Statuses of a per-event result (docs/contract.md §5).</summary>
public static class ResultStatus
{
    public const string Applied = "applied";
    public const string Duplicate = "duplicate";
    public const string Rejected = "rejected";
}

/// <summary><c>{"upTo": seq, "results": [result…]}</c> published on <c>maebashi/v1/dev/{id}/ack</c>.</summary>
public sealed class Ack
{
    /// <summary>Highest n such that every event of the device with seq ≤ n the ingest has received is settled.</summary>
    public ulong UpTo { get; set; }

    public List<EventResult> Results { get; set; } = [];
}

/// <summary>The ingest's word on one event. Fare, points and value are provisional.</summary>
public sealed class EventResult
{
    public ulong Seq { get; set; }
    public string Status { get; set; } = ResultStatus.Applied;
    public string? Reason { get; set; }
    public long? Fare { get; set; }
    public long? Points { get; set; }
    public long? Value { get; set; }
    public string? PatientNo { get; set; }
    public int? Queue { get; set; }
    public bool? ChildMedicalSubsidy { get; set; }
}
