using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Ingest.Rules;

// The boundary between the ingest service (store, pipeline) and the rules.
// The service keeps every fact; the rules turn a person's facts into their wallet, trips,
// credits and check-ins. Because the result is a function of the set of facts, delivery order,
// splits and duplicates cannot change it; the service records the difference between two
// evaluations as adjustment entries.

/// <summary>A validated event as the ingest stored it, identified by (device, seq).</summary>
public sealed record StoredTap(string Device, ulong Seq, TapEvent Event, CardReadAuth Auth = CardReadAuth.None, int SunCounter = -1);

/// <summary>What the ingest found of a tap's card read at intake (docs/contract.md §2 "Card authentication").</summary>
public enum CardReadAuth
{
    /// <summary>The card does not authenticate (<c>auth: none</c>), or the tap has no card.</summary>
    None,

    /// <summary>The SUN message verified; <see cref="StoredTap.SunCounter"/> holds the card's SDM read counter.</summary>
    Verified,

    /// <summary>An authenticated card read without its SUN message: refused, and a second within 24 h is a clone signal.</summary>
    Missing,
}

/// <summary>
/// Two consecutive taps of <see cref="Card"/> too far apart for the time between them (<see cref="TravelRules"/>): for an
/// operator's review, not a denial.
/// </summary>
public sealed record TravelReview(string Card, StoredTapRef From, StoredTapRef To, DateTimeOffset FromAt, DateTimeOffset ToAt, double Kilometres)
{
    public double KilometresPerHour => (ToAt - FromAt).TotalHours is > 0 and var h ? Kilometres / h : double.PositiveInfinity;
}

/// <summary>A read of <see cref="Card"/> that proves a copy exists: the tap is refused and the card goes on the deny list.</summary>
public sealed record CloneSignal(string Card, StoredTapRef Tap, DateTimeOffset At, string Reason);

/// <summary>
/// A change an operator made to the person's value: a top-up (idempotent by its receipt id) or an adjustment, a
/// refund or correction in signed yen (idempotent by its request id, with a reason code and a note).
/// </summary>
public sealed record ValueChange(string Id, long Amount, DateTimeOffset At, ValueChangeKind Kind = ValueChangeKind.TopUp, string? Reason = null, string? Note = null)
{
    /// <summary>Unique across kinds: a top-up's receipt and an adjustment's request id never collide.</summary>
    public string Key => Kind == ValueChangeKind.TopUp ? "topup:" + Id : "adjust:" + Id;
}

/// <summary>What an operator's <see cref="ValueChange"/> is.</summary>
public enum ValueChangeKind
{
    /// <summary>Value charged against payment, with a receipt (<c>POST /api/v1/cards/{tok}/charge</c>).</summary>
    TopUp,

    /// <summary>A refund (positive) or correction (negative) with a reason (<c>POST /api/v1/cards/{tok}/adjustments</c>).</summary>
    Adjustment,
}

/// <summary>Everything the rules need to know about one person.</summary>
public sealed class PersonHistory
{
    public required PersonEntry Person { get; init; }

    /// <summary>Every card tap of the person (any of their cards, any type, accepted or denied), in any order.</summary>
    public required IReadOnlyList<StoredTap> Taps { get; init; }

    /// <summary><c>trip_end</c> events of the vehicles this person boarded (the service selects them by vehicle).</summary>
    public required IReadOnlyList<StoredTap> TripEnds { get; init; }

    public required IReadOnlyList<ValueChange> ValueChanges { get; init; }
}

/// <summary>Where a trip stands.</summary>
public enum TripClose
{
    /// <summary>Boarded, no alight yet, and neither a re-boarding, a trip_end nor board + 180 min has closed it.</summary>
    Open,

    /// <summary>Closed by an alight on the same vehicle within 180 minutes.</summary>
    Alighted,

    /// <summary>Closed without an alight (re-boarding, trip_end, or 180 minutes): highest fare from the boarding stop.</summary>
    MissingTapOff,

    /// <summary>An alight with no open trip: highest fare to that stop.</summary>
    UnmatchedAlight,
}

/// <summary>
/// One trip and its charge, computed adult fare → category → transfer → daily cap, each step kept so an operator or the
/// passenger can follow it: <see cref="CategoryFare"/> after the category, minus <see cref="TransferDiscount"/>, minus
/// <see cref="CapReduction"/>, is <see cref="Charge"/>.
/// </summary>
public sealed record Trip(
    string Route,
    string Vehicle,
    string? BoardStop,
    DateTimeOffset? BoardAt,
    string? AlightStop,
    DateTimeOffset? AlightAt,
    TripClose Close,
    string Category,
    long AdultFare,
    long Charge,
    bool Transfer,
    string ServiceDay,
    StoredTapRef? Board,
    StoredTapRef? Alight,
    long CategoryFare = 0,
    long TransferDiscount = 0,
    long CapReduction = 0);

public sealed record StoredTapRef(string Device, ulong Seq);

/// <summary>
/// One line of what the wallet consists of now, under a stable key (e.g. <c>fare:BUS0042:17</c>,
/// <c>topup:R-123</c>, <c>opening</c>). The service diffs postings by key between evaluations to write
/// adjustment entries; value and points are signed (a fare is negative value).
/// </summary>
public sealed record Posting(string Key, string Kind, long Value, long Points, string Source, DateTimeOffset At, string Description);

/// <summary>A clinic check-in: the first of the person per clinic and JST calendar day.</summary>
public sealed record CheckIn(string Clinic, DateOnly Date, int Queue, string PatientNo, bool ChildMedicalSubsidy, DateTimeOffset At, StoredTapRef Tap);

/// <summary>A person's participation in an event and the points it credits.</summary>
public sealed record Participation(string Event, string Sector, DateTimeOffset In, DateTimeOffset? Out, long Points, StoredTapRef Tap);

/// <summary>The ingest's word on one tap, for the ack (provisional for fares and points).</summary>
public sealed record TapOutcome(string Status, string? Reason, long? Fare, long? Points, string? PatientNo, int? Queue, bool? ChildMedicalSubsidy)
{
    /// <summary>The tap is kept but has no effect, for <paramref name="reason"/>.</summary>
    public static TapOutcome Rejected(string reason) => new(ResultStatus.Rejected, reason, null, null, null, null, null);

    /// <summary>The tap repeats an earlier one (<paramref name="reason"/> names it) and counts once.</summary>
    public static TapOutcome Duplicate(string reason) => new(ResultStatus.Duplicate, reason, null, null, null, null, null);

    /// <summary>The tap counts; a fare tap carries its charge, an event tap the points it credits.</summary>
    public static TapOutcome Applied(string? reason = null, long? fare = null, long? points = null) =>
        new(ResultStatus.Applied, reason, fare, points, null, null, null);

    /// <summary>A clinic check-in that counts, with what reception needs: the patient number, queue and subsidy.</summary>
    public static TapOutcome CheckedIn(string? reason, string patientNo, int queue, bool childMedicalSubsidy) =>
        new(ResultStatus.Applied, reason, null, null, patientNo, queue, childMedicalSubsidy);
}

/// <summary>The person's wallet and records as the rules see them now.</summary>
public sealed class WalletView
{
    public long Value { get; init; }
    public long Points { get; init; }
    public long PointsBus { get; init; }
    public long PointsVolunteer { get; init; }
    public long PointsHealth { get; init; }

    /// <summary>Value below −debtLimit: every card of the person goes on the deny list.</summary>
    public bool InDebt { get; init; }

    public IReadOnlyList<Trip> Trips { get; init; } = [];
    public IReadOnlyList<Posting> Postings { get; init; } = [];
    public IReadOnlyList<CheckIn> CheckIns { get; init; } = [];
    public IReadOnlyList<Participation> Participations { get; init; } = [];

    /// <summary>
    /// The earliest instant after which the same facts can give a different view because of the clock
    /// alone (an open trip that closes when the ingest's clock passes board + 180 min), or null when the
    /// view no longer depends on <c>now</c>. The service evaluates the person again once its clock is past it.
    /// Added by the rules (not in the first boundary): without it the service could not know when a
    /// missing tap-off becomes chargeable.
    /// </summary>
    public DateTimeOffset? ReviewAt { get; init; }

    /// <summary>Reads of the person's authenticated cards that prove a copy exists, among the evaluated facts.</summary>
    public IReadOnlyList<CloneSignal> CloneSignals { get; init; } = [];

    /// <summary>Consecutive taps of one of the person's cards too far apart for the time between them, among the evaluated facts.</summary>
    public IReadOnlyList<TravelReview> TravelReviews { get; init; } = [];

    /// <summary>Outcome of every tap of <see cref="PersonHistory.Taps"/>, by (device, seq).</summary>
    public IReadOnlyDictionary<StoredTapRef, TapOutcome> Outcomes { get; init; } = new Dictionary<StoredTapRef, TapOutcome>();
}
