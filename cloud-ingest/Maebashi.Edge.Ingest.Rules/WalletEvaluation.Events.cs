using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Contract.Rules;

namespace Maebashi.Edge.Ingest.Rules;

// Event check-ins and check-outs into participations and their points.
internal sealed partial class WalletEvaluation
{
    private readonly Dictionary<string, ParticipationDraft> _participationByEvent = new(StringComparer.Ordinal);
    private readonly List<ParticipationDraft> _participations = [];
    private readonly List<(int Entry, ParticipationDraft Draft)> _eventTaps = [];

    private sealed class ParticipationDraft(EventDef ev, int inEntry, long inTicks)
    {
        public EventDef Event { get; } = ev;
        public int In { get; } = inEntry;
        public long InTicks { get; } = inTicks;
        public int Out { get; set; } = -1;
        public long Points { get; set; } = ev.Points;

        /// <summary>From the checkpoint evaluated from: credited (posted) on an earlier day, walked only to be tapped out of.</summary>
        public bool Carried { get; init; }

        /// <summary>Carried, and tapped out before the checkpoint's day started.</summary>
        public bool CarriedOut { get; init; }
    }

    private bool CheckEventSite(int i, out EventDef ev)
    {
        StoredTap tap = _entries[i].Tap;
        string? id = tap.Event.Ctx.Event;
        EventDef? found = id is null ? null : _registry.FindEvent(id);
        ev = found!;
        if (found is null)
        {
            Reject(i, $"unknown event '{id}'");
            return false;
        }

        if (!found.Sites.Contains(tap.Device))
        {
            Reject(i, $"device {tap.Device} is not a site of event {found.Id}");
            return false;
        }

        return true;
    }

    private void EventIn(int i)
    {
        if (!CheckEventSite(i, out EventDef ev))
        {
            return;
        }

        DateTimeOffset at = _entries[i].Tap.Event.At;
        if (at < ev.Start || at > ev.End)
        {
            Reject(i, $"outside the window of event {ev.Id}");
            return;
        }

        if (_participationByEvent.TryGetValue(ev.Id, out ParticipationDraft? p))
        {
            _outcome[i] = TapOutcome.Applied($"points for event {ev.Id} already credited to this person", points: 0);
            return;
        }

        p = new ParticipationDraft(ev, i, _entries[i].Ticks);
        _participationByEvent[ev.Id] = p;
        _participations.Add(p);
        _eventTaps.Add((i, p));
    }

    private void EventOut(int i)
    {
        if (!CheckEventSite(i, out EventDef ev))
        {
            return;
        }

        // The window first: a participation is carried across a day's start only while its event's out-grace
        // lasts, so a later event_out must not depend on whether one exists.
        DateTimeOffset at = _entries[i].Tap.Event.At;
        if (at > ev.End + RuleWindows.EventOutGrace)
        {
            Reject(i, $"more than {RuleWindows.EventOutGrace.TotalMinutes:0} min after the window of event {ev.Id}");
            return;
        }

        if (!_participationByEvent.TryGetValue(ev.Id, out ParticipationDraft? p))
        {
            // A site holding its events one after another names, for an exit during one event's out-grace, that event,
            // though the person entered the next one there: the exit closes the person's open participation at this
            // site whose window (and out-grace) holds it. Only without one is it refused.
            string device = _entries[i].Tap.Device;
            p = _participations.FirstOrDefault(o => o.Out < 0 && !o.CarriedOut && o.Event.Sites.Contains(device)
                && at >= o.Event.Start && at <= o.Event.End + RuleWindows.EventOutGrace);
            if (p is null)
            {
                Reject(i, $"no event_in of this person at event {ev.Id} before it");
                return;
            }

            ev = p.Event;
        }

        if (p.Out >= 0 || p.CarriedOut)
        {
            _outcome[i] = TapOutcome.Applied($"already tapped out of event {ev.Id}", points: 0);
            return;
        }

        p.Out = i;
        if (ev.PointsPerHour is long perHour)
        {
            long minutes = (_entries[i].Ticks - p.InTicks) / TimeSpan.TicksPerMinute;
            long earned = minutes * perHour / 60;
            if (ev.MaxPoints is long max)
            {
                earned = Math.Min(max, earned);
            }

            p.Points = Math.Max(ev.Points, earned);
            _eventTaps.Add((i, p)); // reports the participation's credit as it now stands
            return;
        }

        _outcome[i] = TapOutcome.Applied($"event {ev.Id} credits no points by duration", points: 0);
    }
}
