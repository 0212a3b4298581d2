using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Emulation.Gps;
using Maebashi.Edge.Terminal.Gps;
using Maebashi.Edge.Terminal.Roles;

namespace Maebashi.Edge.Terminal.Emulation.Gps;

/// <summary>How many of a replay's stop passages the terminal got right (docs/gps.md, "Accuracy").</summary>
public sealed record TrialResult(int Passages, int Right, int Invented)
{
    /// <summary>Right passages against all passages and the ones the detector invented.</summary>
    public double Percent => Passages + Invented == 0 ? 100 : 100.0 * Right / (Passages + Invented);

    public static TrialResult operator +(TrialResult a, TrialResult b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return new(a.Passages + b.Passages, a.Right + b.Right, a.Invented + b.Invented);
    }
}

/// <summary>
/// The stop-detection accuracy of the budget, deterministic: seeded replay routes driven there and back, the
/// emulated receiver's bytes with the documented noise at σ, parsed by the terminal's NMEA reader and fed to its GPS
/// tracker. Used by the tests and the <c>bench</c> verb alike.
/// </summary>
public static class StopDetectionTrial
{
    /// <summary>The replayed routes of the budget: eight routes of 16 stops, out and back (248 stop passages).</summary>
    public static readonly IReadOnlyList<int> BudgetRoutes = [1, 2, 3, 4, 5, 6, 7, 8];

    /// <summary>A passage detected more than this before the bus stopped there is not right.</summary>
    public static readonly TimeSpan Early = TimeSpan.FromSeconds(30);

    public static TrialResult Run(double sigma, IEnumerable<int> routeSeeds)
    {
        ArgumentNullException.ThrowIfNull(routeSeeds);
        var total = new TrialResult(0, 0, 0);
        foreach (int seed in routeSeeds)
        {
            ReplayRoute route = ReplayRoutes.Generate("T" + seed.ToString(System.Globalization.CultureInfo.InvariantCulture), seed);
            total += Replay(route, new GpsNoise(sigma, seed * 7919 + (int)Math.Round(sigma)));
        }

        return total;
    }

    /// <summary>One route, there and back, through the NMEA bytes; the passages scored against the drive's stops.</summary>
    public static TrialResult Replay(ReplayRoute route, GpsNoise noise)
    {
        ArgumentNullException.ThrowIfNull(route);
        GpsDrive drive = route.ThereAndBack();
        var receiver = new EmulatedGpsReceiver(drive, noise, new StandingClock(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero)));
        var config = new DeviceConfig { Version = 1, Role = DeviceRoles.Bus, Routes = [route.Route] };
        var tracker = new GpsTracker(new VehicleState(), () => config);
        var passages = new List<StopPassage>();
        tracker.Passed += passages.Add;
        var reader = new NmeaFixReader(receiver.Start);
        for (int s = 0; s < receiver.Length; s++)
        {
            foreach (GpsFix fix in reader.Feed(receiver.SentencesAt(s)))
            {
                tracker.Feed(fix);
            }
        }

        return Score(drive.Visits, passages, receiver.Start, receiver.Length);
    }

    /// <summary>
    /// A stop passage is right when the detector reports that stop, in its order among the others, no earlier than
    /// <see cref="Early"/> before the bus stopped there and no later than the bus left the stop after it. Reports
    /// matched to no passage are invented.
    /// </summary>
    public static TrialResult Score(IReadOnlyList<StopVisit> visits, IReadOnlyList<StopPassage> detected, DateTimeOffset start, int length)
    {
        ArgumentNullException.ThrowIfNull(visits);
        ArgumentNullException.ThrowIfNull(detected);
        int right = 0, invented = 0, next = 0;
        for (int k = 0; k < visits.Count; k++)
        {
            DateTimeOffset from = start.AddSeconds(visits[k].Second) - Early;
            DateTimeOffset until = start.AddSeconds(k + 1 < visits.Count ? visits[k + 1].LeftSecond : length);
            for (int i = next; i < detected.Count && detected[i].At <= until; i++)
            {
                if (detected[i].Stop == visits[k].Stop && detected[i].At >= from)
                {
                    right++;
                    invented += i - next;
                    next = i + 1;
                    break;
                }
            }
        }

        return new TrialResult(visits.Count, right, invented + detected.Count - next);
    }

    /// <summary>A clock that stands still: the trial reads the receiver second by second, as fast as it can.</summary>
    private sealed class StandingClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
