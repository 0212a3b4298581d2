namespace Maebashi.Edge.Readers;

public enum ReaderEventKind
{
    /// <summary>A card was read: one tap.</summary>
    Tap,

    /// <summary>The same card came back within the repeat window: the same tap, not another.</summary>
    RepeatSuppressed,

    /// <summary>Two or more cards in the field: nothing is read until one card is presented alone.</summary>
    OneCardAtATime,

    /// <summary>The card left or answered wrongly mid-read; the reader tries again while it is there.</summary>
    CardFailed,

    /// <summary>The reader stopped answering or failed; it is being re-initialised.</summary>
    ReaderFailed,

    /// <summary>The reader answers again after a re-initialisation.</summary>
    ReaderRecovered,
}

/// <summary>Something a reader observed, with the words a passenger or technician reads (Japanese / English).</summary>
public sealed record ReaderEvent(ReaderEventKind Kind, DateTimeOffset At, CardRead? Card, string Message)
{
    public static string MessageFor(ReaderEventKind kind) => kind switch
    {
        ReaderEventKind.Tap => "読み取りました / Card read",
        ReaderEventKind.RepeatSuppressed => "タッチ済みです / Already tapped",
        ReaderEventKind.OneCardAtATime => "カードは1枚ずつ / One card at a time",
        ReaderEventKind.CardFailed => "もう一度タッチしてください / Please tap again",
        ReaderEventKind.ReaderFailed => "リーダー異常・再起動中 / Reader fault, restarting",
        _ => "リーダー復旧 / Reader recovered",
    };
}

/// <summary>Where the presence state machine is.</summary>
public enum ReaderState
{
    WaitForStart,
    WaitForCard,
    Process,
    WaitForRemoval,

    /// <summary>Several cards were in the field: waiting until at most one is left.</summary>
    WaitForSingleCard,
}

/// <summary>A snapshot of a reader's health, for the status topic and the technicians' self-test.</summary>
public sealed record ReaderHealth(
    string Kind,
    ReaderState State,
    bool Working,
    string? LastError,
    DateTimeOffset? LastErrorAt,
    int Resets,
    int Failures,
    long Taps,
    string? ChipWarning,
    DateTimeOffset? LastContactAt);
