namespace Maebashi.Edge.Ingest.Rules;

// A person's wallet settled by service day (docs/decisions.md, "Day checkpoints"): the state at the start
// (03:00 JST) of each day the person has facts on, so that a new or late fact re-evaluates from the
// checkpoint of the first day it can change instead of from the person's first tap.

/// <summary>
/// The last trip before a service day starts, as far as the day's facts need it: the trip a board or alight of
/// the day may close (<see cref="OpenAtStart"/>), or the trip a transfer is counted from. Amounts are final
/// (rated with every fact known when the checkpoint was written), the alight is the one before the day started.
/// </summary>
public sealed record CarriedTrip(
    string Vehicle,
    DateTimeOffset KeyAt,
    bool OpenAtStart,
    TripClose Close,
    string? AlightRoute,
    DateTimeOffset? AlightAt,
    long Charge,
    long RidePoints,
    bool Transfer);

/// <summary>A tap in the last 10 s before the day started: a tap of the same card on the same device just after 03:00 repeats it.</summary>
public sealed record CarriedTap(string Device, ulong Seq, string Card, DateTimeOffset At);

/// <summary>
/// A participation in an event whose window (and 60 min out-grace) reaches into the day: an event_in of the day
/// is a repeat of it, an event_out of the day closes it. <see cref="Points"/> is the credit as the day starts.
/// </summary>
public sealed record CarriedParticipation(string Event, DateTimeOffset In, bool TappedOut, long Points);

/// <summary>
/// What the clone rules (<see cref="CardReadRules"/>) carry across a day's start for one authenticated card: the
/// highest SUN counter of its reads more than the clock tolerance before it, its reads within the tolerance, and
/// its unauthenticated reads of the last 24 hours.
/// </summary>
public sealed record CarriedCardReads(string Card, int SettledMax, IReadOnlyList<CarriedRead> Recent, IReadOnlyList<DateTimeOffset> Unauthenticated);

/// <summary>A card's last bus tap before a day's start whose stop has coordinates (<see cref="TravelRules"/>).</summary>
public sealed record CarriedPlace(string Card, DateTimeOffset At, double Lat, double Lon, string Device, ulong Seq);

/// <summary>A genuine read of an authenticated card: when, and its SDM read counter.</summary>
public sealed record CarriedRead(DateTimeOffset At, int Counter);

/// <summary>
/// The person's state at the start of service day <see cref="Day"/> (03:00 JST): the wallet after every posting
/// before it, and what a rule carries across the boundary (the last trip, taps of the last 10 s, participations
/// of events still open, check-ins of the JST date the day starts in).
/// </summary>
public sealed record DayCheckpoint(
    DateOnly Day,
    long Value,
    long Points,
    long PointsBus,
    long PointsVolunteer,
    long PointsHealth,
    bool InDebt,
    CarriedTrip? LastTrip,
    IReadOnlyList<CarriedTap> RecentTaps,
    IReadOnlyList<CarriedParticipation> Participations,
    IReadOnlyList<CheckIn> CheckIns,
    IReadOnlyList<CarriedCardReads>? CardReads = null,
    IReadOnlyList<CarriedPlace>? Places = null)
{
    /// <summary>
    /// False when a trip was still open at the day's start and nothing has closed it yet: its fare, posted on the
    /// day before, may still change (an alight, the clock), so an evaluation starts from an earlier checkpoint.
    /// </summary>
    public bool CanResume => LastTrip is not { OpenAtStart: true, Close: TripClose.Open };
}

/// <summary>
/// What <see cref="WalletRules.EvaluateDays"/> found from its starting day on: <see cref="View"/> holds the
/// final balances and the trips, postings, check-ins, participations and tap outcomes of the days from
/// <see cref="From"/> on (of every day when <see cref="From"/> is null); <see cref="Checkpoints"/> the state at
/// the start of each later day with facts.
/// </summary>
public sealed class DayEvaluation
{
    /// <summary>The day the evaluation started at (its checkpoint's), or null when it replayed every fact.</summary>
    public DateOnly? From { get; init; }

    public required WalletView View { get; init; }

    /// <summary>One per service day with facts after <see cref="From"/> (every such day when it is null), in day order.</summary>
    public required IReadOnlyList<DayCheckpoint> Checkpoints { get; init; }
}
