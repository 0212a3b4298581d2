namespace Maebashi.Edge.Contract.Validation;

/// <summary>Whether a problem rejects the whole batch or only one event (docs/contract.md §5).</summary>
public enum ErrorScope
{
    /// <summary>Nothing of the batch is applied or acknowledged; it is quarantined once per distinct payload.</summary>
    Batch,

    /// <summary>The event is <c>rejected</c> in the ack and quarantined; the rest of its batch is applied.</summary>
    Event,
}

public enum ErrorCode
{
    // Batch scope
    TooLarge,
    NotJson,
    NotBatchShape,
    DeviceMismatch,
    SeqNotIncreasing,
    BadMac,
    UnknownDevice,

    // Event scope
    UnknownEventType,
    MissingField,
    MistypedField,
    BadValue,
    AtWithoutOffset,
    AtInFuture,
    UnknownCard,
}

/// <summary>A typed problem with a batch or an event: the field it concerns and why.</summary>
public sealed class ContractError(ErrorScope scope, ErrorCode code, string field, string reason)
{
    public ErrorScope Scope { get; } = scope;
    public ErrorCode Code { get; } = code;

    /// <summary>JSON path of the field, e.g. <c>events[2].at</c>, or <c>$</c> for the whole payload.</summary>
    public string Field { get; } = field;

    public string Reason { get; } = reason;

    /// <summary>One line for operators and for the ack's <c>reason</c>: <c>field: reason</c>.</summary>
    public override string ToString() => Field == "$" ? Reason : $"{Field}: {Reason}";
}
