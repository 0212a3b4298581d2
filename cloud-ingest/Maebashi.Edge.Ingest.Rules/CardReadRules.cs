using System.Globalization;

namespace Maebashi.Edge.Ingest.Rules;

/// <summary>
/// When a read of an authenticated city card proves a copy exists (docs/contract.md §2 "Card authentication"). An
/// NTAG 424 DNA raises its SDM read counter on every read, so among the card's genuine reads ordered by event time
/// a counter never repeats and never falls behind a read made more than the clocks' tolerance earlier. The later
/// read in event time is the clone read, whatever order the reads arrive in.
/// </summary>
public static class CardReadRules
{
    /// <summary>How far two devices' clocks may disagree: a read this close to an earlier one may carry a lower counter.</summary>
    public static readonly TimeSpan ClockTolerance = TimeSpan.FromMinutes(5);

    /// <summary>A second read without a SUN message within this time of another is a clone signal (a genuine card fails now and then; a UID copy always).</summary>
    public static readonly TimeSpan UnauthenticatedWindow = TimeSpan.FromHours(24);

    /// <summary>At most this many unauthenticated reads are carried across a day's start: the second already signals.</summary>
    internal const int MaxCarriedUnauthenticated = 4;

    public const string UnauthenticatedRead =
        "card.sun: unauthenticated read (the card is ntag424-sun; a genuine card fails a read now and then, a copy of its UID never makes a SUN message)";

    public static string SecondUnauthenticated(DateTimeOffset earlier) =>
        "card.sun: clone signal: a second read without a SUN message within 24 h (the first at "
        + earlier.ToOffset(TimeSpan.FromHours(9)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture) + ")";

    public static string SameCounter(int counter) =>
        string.Create(CultureInfo.InvariantCulture, $"card.sun: clone signal: SUN counter {counter} was already read (a replayed message)");

    public static string CounterBehind(int counter, int settled) =>
        string.Create(CultureInfo.InvariantCulture, $"card.sun: clone signal: SUN counter {counter} is not above {settled}, read more than {ClockTolerance.TotalMinutes:0} min earlier");
}
