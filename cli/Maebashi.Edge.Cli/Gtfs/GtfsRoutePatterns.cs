namespace Maebashi.Edge.Cli.Gtfs;

/// <summary>
/// The distinct stop sequences a route's trips run (GTFS has no patterns of its own: trips with the same direction
/// and stops are one pattern), and the route's stops as one list that keeps each pattern's order where it can.
/// </summary>
public static class GtfsRoutePatterns
{
    public sealed record Pattern(int Direction, IReadOnlyList<string> Stops, string? Headsign, int Trips);

    /// <summary>Per direction, the most-run sequence first; trips of fewer than two stops are a problem.</summary>
    public static List<Pattern> Of(IEnumerable<GtfsTrip> trips, GtfsProblems problems)
    {
        var found = new Dictionary<(int, string), (Pattern Pattern, int Order)>();
        foreach (GtfsTrip trip in trips)
        {
            List<string> stops = [.. trip.Calls.OrderBy(c => c.Sequence).Select(c => c.StopId)];
            if (stops.Count < 2)
            {
                problems.Add("trips.txt", trip.Line, "trip_id", $"trip '{trip.Id}' calls at {stops.Count} stop(s) in stop_times.txt; a trip needs at least two");
                continue;
            }

            (int, string) key = (trip.Direction, string.Join('\u001f', stops));
            found[key] = found.TryGetValue(key, out var seen)
                ? (seen.Pattern with { Trips = seen.Pattern.Trips + 1, Headsign = seen.Pattern.Headsign ?? trip.Headsign }, seen.Order)
                : (new Pattern(trip.Direction, stops, trip.Headsign, 1), found.Count);
        }

        return [.. found.Values.OrderBy(v => v.Pattern.Direction).ThenByDescending(v => v.Pattern.Trips).ThenBy(v => v.Order).Select(v => v.Pattern)];
    }

    /// <summary>
    /// Every stop of the patterns once, in direction 0's order: the patterns of direction 1 are read backwards, and a
    /// stop not yet listed goes right after the stop its pattern passed before it (a branch, a short working).
    /// </summary>
    public static List<string> StopOrder(IReadOnlyList<Pattern> patterns)
    {
        var order = new List<string>();
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (Pattern p in patterns.OrderBy(p => p.Direction))
        {
            IEnumerable<string> stops = p.Direction == 0 ? p.Stops : p.Stops.Reverse();
            int after = -1;
            foreach (string stop in stops)
            {
                if (listed.Add(stop))
                {
                    order.Insert(after + 1, stop);
                    after++;
                }
                else
                {
                    after = order.IndexOf(stop);
                }
            }
        }

        return order;
    }
}
