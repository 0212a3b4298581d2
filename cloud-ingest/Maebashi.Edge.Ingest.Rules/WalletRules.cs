using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Contract.Rules;

namespace Maebashi.Edge.Ingest.Rules;

/// <summary>Fare categories (docs/contract.md §3, bus).</summary>
public static class FareCategories
{
    public const string Adult = "adult";
    public const string Child = "child";
    public const string Disability = "disability";
    public const string Infant = "infant";
}

/// <summary><see cref="Posting.Kind"/> values and the shapes of their stable keys.</summary>
public static class PostingKinds
{
    /// <summary><c>opening</c>: the registry's openingValue and openingPoints.</summary>
    public const string Opening = "opening";

    /// <summary><c>topup:{receipt}</c>: value an operator charged.</summary>
    public const string TopUp = "topup";

    /// <summary><c>adjust:{id}</c>: an operator's refund (+value) or correction (−value), with a reason code.</summary>
    public const string OperatorAdjustment = "operator-adjustment";

    /// <summary><c>fare:{device}:{seq}</c> of the tap that defines the trip (its board, or an unmatched alight): −charge of value.</summary>
    public const string Fare = "fare";

    /// <summary><c>pointpay:{device}:{seq}</c>: points covering a fare's shortfall (+value, −points).</summary>
    public const string PointPayment = "point-payment";

    /// <summary><c>ridepoints:{device}:{seq}</c>: floor(charge / 100) × ridePointsPer100.</summary>
    public const string RidePoints = "ride-points";

    /// <summary><c>event:{eventId}</c>: the person's credit for an event (replaced, not added to, on tap-out).</summary>
    public const string EventPoints = "event-points";

    /// <summary>
    /// Not a posting of the rules but the kind of a wallet entry that corrects an earlier one (under that
    /// one's key): see <see cref="PostingDiff.Changes"/>.
    /// </summary>
    public const string Adjustment = "adjustment";
}

/// <summary>
/// The rules of docs/contract.md §3 for one person: a pure, deterministic function of the SET of the person's
/// facts (taps, trip ends, top-ups) and the ingest's clock. The same facts in any order, split or
/// re-listed, give an identical <see cref="WalletView"/>.
/// </summary>
/// <remarks>
/// Choices in the details docs/contract.md §3 leaves open (also in docs/decisions.md, "Ingest rules"):
/// <list type="bullet">
/// <item>Facts are sorted by (at, kind, device, seq), kinds at one instant in the order alight, trip_end,
/// board, event_in, event_out, clinic_checkin, so an alight at the instant of a trip_end still closes its trip
/// and a trip_end never closes a trip boarded at the same instant. The same (device, seq) listed twice counts once.</item>
/// <item>Repeat taps: any tap of a card on a device at most 10 s after the first tap of that card on that
/// device (whatever the type and decision) is <c>duplicate</c>; a tap after the 10 s starts a new window.</item>
/// <item>A bus tap the device denied is reported <c>applied</c> with the reason "denied on the device" and no
/// fare: it is kept, it has no effect. Event and clinic taps are re-checked by the ingest whatever the device
/// decided, so a denied tap that passes the checks counts (the device may have had stale configuration).</item>
/// <item>A bus tap naming an unknown route or a stop not on its route is <c>rejected</c> with the reason.</item>
/// <item>A trip_end closes the person's open trip when it names the trip's vehicle and is later than the board.</item>
/// <item>An alight on another vehicle than the open trip's closes that trip as a missing tap-off (the person
/// evidently left it) and is itself an unmatched alight.</item>
/// <item>An alight matched on the same vehicle at a stop not on the boarding route is charged the highest fare
/// from the boarding stop.</item>
/// <item>A trip still open (no alight, no re-boarding, no trip_end, clock not past board + 180 min) is charged
/// nothing yet; <see cref="WalletView.ReviewAt"/> says when the clock will close it.</item>
/// <item>Transfer: the trip just before the board (in trip order) must have ended with a real alight on
/// another route, at most 60 min before the board. The flag <see cref="Trip.Transfer"/> is set whenever the
/// rule applies, even if the route's discount is 0.</item>
/// <item>Category per service day: infant if under 6; else child (under 12) and/or disability at half fare,
/// the one with the lower daily cap when both apply (no cap counts as highest; a tie picks child); else adult.</item>
/// <item>The wallet is replayed in time order: opening first, then top-ups (at their time), event credits (at
/// the first event_in) and trip charges (at the trip's board, or its unmatched alight); at one instant
/// top-ups before credits before fares. Deny status follows the replay: on below −debtLimit, off at ≥ 0.</item>
/// <item>Points by source count the points credited by each source (ride points, event credits); point
/// payments and opening points show only in <see cref="WalletView.Points"/> and postings.</item>
/// <item>Point payments are recomputed in the replay, so a re-rating that withdraws ride points shrinks a later
/// point payment instead of leaving points negative (keeping payments fixed would make the wallet depend on
/// arrival order). Points are negative only from a negative opening balance; credits then repay them first.</item>
/// <item>Event tap-out minutes are whole minutes elapsed since the first event_in; without maxPoints there is no
/// upper bound. An event_out with no earlier event_in, or more than 60 min after the window, is <c>rejected</c>.
/// The outcome of a crediting event_in or a replacing event_out carries the participation's credit as it now
/// stands; an event_out of an event without pointsPerHour carries 0.</item>
/// <item>A stored fact without its event, type or context is <c>rejected</c>; nothing the store hands over makes
/// the evaluation throw.</item>
/// <item>A clinic tap on a reception device registered to another clinic is <c>rejected</c>.</item>
/// <item>Top-ups listed twice under one receipt count once (the earliest, then the smallest amount).</item>
/// <item>Postings with neither value nor points are left out (an infant's trip is in <see cref="WalletView.Trips"/>).</item>
/// </list>
/// </remarks>
public static class WalletRules
{
    /// <summary>
/// Evaluates every rule of docs/contract.md §3 for one person. <paramref name="now"/> is the ingest's clock; it
/// only closes trips left open for more than 180 minutes (see <see cref="WalletView.ReviewAt"/>).
/// </summary>
    public static WalletView Evaluate(CityRegistry registry, PersonHistory history, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(history);
        return new WalletEvaluation(registry, history, null, now, checkpoints: false).Run().View;
    }

    /// <summary>
    /// Evaluates the person from the checkpoint <paramref name="from"/> on (from every fact when null):
    /// <paramref name="history"/> needs only the facts of that day and later (earlier ones are ignored). The balances,
    /// and the trips, postings, check-ins, participations and outcomes of those days, are exactly those of
    /// <see cref="Evaluate"/> over every fact, provided the checkpoint was written with every fact earlier than
    /// <see cref="ReplayFrom(CityRegistry, StoredTap)"/> of each fact that came since, and
    /// <see cref="DayCheckpoint.CanResume"/>.
    /// </summary>
    public static DayEvaluation EvaluateDays(CityRegistry registry, PersonHistory history, DayCheckpoint? from, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(history);
        if (from is { CanResume: false })
        {
            throw new ArgumentException($"the checkpoint of {from.Day:yyyy-MM-dd} carries a trip still open: evaluate from an earlier day", nameof(from));
        }

        return new WalletEvaluation(registry, history, from, now, checkpoints: true).Run();
    }

    /// <summary>The instant a service day starts: 03:00 JST of that date.</summary>
    public static DateTimeOffset DayStart(DateOnly day) => new(day.ToDateTime(TimeOnly.MinValue).AddHours(3 - 9), TimeSpan.Zero);

    /// <summary>
    /// The first service day a tap or trip_end can change when it is new: its own, or the day before when it may
    /// close a trip boarded up to 180 minutes earlier (whose fare is posted at the board), or the first day of the
    /// event it names (its credit is posted at the event_in).
    /// </summary>
    public static DateOnly ReplayFrom(CityRegistry registry, StoredTap fact)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(fact);
        if (fact.Event is null)
        {
            return DateOnly.MinValue; // nothing says when it was; it is reported (rejected) by every evaluation
        }

        DateOnly day = ServiceDay(fact.Event.At - RuleWindows.Trip);
        if (fact.Event.Ctx?.Event is { } id && registry.FindEvent(id) is { } ev && ServiceDay(ev.Start) < day)
        {
            day = ServiceDay(ev.Start);
        }

        return day;
    }

    /// <summary>The first service day a new top-up or adjustment can change: its own (it is replayed at its time).</summary>
    public static DateOnly ReplayFrom(ValueChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return ServiceDay(change.At);
    }

    /// <summary>
    /// The checkpoint to evaluate from for a change first felt on <paramref name="day"/>: the latest one at or before
    /// it that <see cref="DayCheckpoint.CanResume"/>, or null (from every fact). <paramref name="checkpoints"/> in day order.
    /// </summary>
    public static DayCheckpoint? Resume(IReadOnlyList<DayCheckpoint> checkpoints, DateOnly day)
    {
        ArgumentNullException.ThrowIfNull(checkpoints);
        for (int i = checkpoints.Count - 1; i >= 0; i--)
        {
            if (checkpoints[i].Day <= day && checkpoints[i].CanResume)
            {
                return checkpoints[i];
            }
        }

        return null;
    }

    /// <summary>The JST service day of an instant: the day starts at 03:00 JST.</summary>
    public static DateOnly ServiceDay(DateTimeOffset at) => DateOnly.FromDateTime(at.UtcDateTime.AddHours(9 - 3));

    /// <summary>The JST calendar date of an instant.</summary>
    public static DateOnly JstDate(DateTimeOffset at) => DateOnly.FromDateTime(at.UtcDateTime.AddHours(9));

    /// <summary>Age in whole years on a day (a 29 February birthday is reached on 28 February).</summary>
    public static int AgeOn(DateOnly birth, DateOnly day)
    {
        int age = day.Year - birth.Year;
        if (birth.AddYears(age) > day)
        {
            age--;
        }

        return age;
    }

    /// <summary>Half the adult fare rounded up to 10 yen (child and disability fares).</summary>
    public static long HalfFare(long adult) => adult <= 0 ? 0 : (adult + 19) / 20 * 10;

    /// <summary>
    /// 子ども医療費助成: true through the first 31 March on or after the day before the 15th birthday
    /// (the day Japanese law counts the age as reached).
    /// </summary>
    public static bool ChildMedicalSubsidy(DateOnly birth, DateOnly day)
    {
        DateOnly reached = birth.AddYears(15).AddDays(-1);
        var march31 = new DateOnly(reached.Year, 3, 31);
        if (march31 < reached)
        {
            march31 = march31.AddYears(1);
        }

        return day <= march31;
    }
}
