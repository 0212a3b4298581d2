using Maebashi.Edge.Contract.Geography;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Ingest.Rules;

// Each card's bus taps in event order, where their stops are known: consecutive taps too far apart for the time
// between them (TravelRules) are flagged for review; each day's start carries the card's last located tap.
internal sealed partial class WalletEvaluation
{
    private List<TravelReview>? _travelReviews;
    private CarriedPlace[]?[] _placeMarks = [];

    private void MarkTravel()
    {
        Dictionary<string, CarriedPlace>? last = _from?.Places is { Count: > 0 } carried
            ? carried.ToDictionary(p => p.Card, StringComparer.Ordinal)
            : null;
        _placeMarks = new CarriedPlace[]?[_days.Length];
        int marked = 0;
        for (int i = 0; i < _count; i++)
        {
            ref Entry e = ref _entries[i];
            for (; marked < _days.Length && _dayStartTicks[marked] <= e.Ticks; marked++)
            {
                _placeMarks[marked] = last is null ? null : [.. last.Values.OrderBy(p => p.Card, StringComparer.Ordinal)];
            }

            TapEvent ev = e.Tap.Event;
            if (e.Duplicate || e.Refused || !EventTypes.IsBus(ev.Type) || ev.Type == EventTypes.TripEnd
                || ev.Decision != Decisions.Accept || ev.Card?.Tok is not { } card || Locate(ev.Ctx) is not { } here)
            {
                continue;
            }

            last ??= new Dictionary<string, CarriedPlace>(StringComparer.Ordinal);
            var place = new CarriedPlace(card, ev.At, here.Lat, here.Lon, e.Tap.Device, e.Tap.Seq);
            if (last.TryGetValue(card, out CarriedPlace? before))
            {
                double km = Geo.Metres(before.Lat, before.Lon, place.Lat, place.Lon) / 1000;
                double hours = (place.At - before.At).TotalHours;
                if (km >= TravelRules.MinKilometres && (hours <= 0 || km / hours > TravelRules.MaxPlausibleKmPerHour))
                {
                    (_travelReviews ??= []).Add(new TravelReview(
                        card, new StoredTapRef(before.Device, before.Seq), new StoredTapRef(place.Device, place.Seq), before.At, place.At, km));
                }
            }

            last[card] = place;
        }

        for (; marked < _days.Length; marked++)
        {
            _placeMarks[marked] = last is null ? null : [.. last.Values.OrderBy(p => p.Card, StringComparer.Ordinal)];
        }
    }

    /// <summary>Where a bus tap's stop is, when the registry knows its coordinates.</summary>
    private (double Lat, double Lon)? Locate(TapContext ctx)
    {
        if (ctx.Route is not { } routeId || ctx.Stop is not { } stopId || _registry.FindRoute(routeId) is not { } route)
        {
            return null;
        }

        foreach (StopDef s in route.Stops)
        {
            if (s.Id == stopId)
            {
                return s is { Lat: { } lat, Lon: { } lon } ? (lat, lon) : null;
            }
        }

        return null;
    }
}
