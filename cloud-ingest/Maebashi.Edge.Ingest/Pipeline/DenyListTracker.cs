using System.Globalization;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Pipeline;

/// <summary>
/// The deny list: the registry's lost cards, the cards with a run-time status (<see cref="CardStatuses"/>) and every
/// card of a person in debt, under a version the store keeps. Not thread-safe: the pipeline calls it under its unit lock.
/// </summary>
/// <remarks>
/// The debtors are kept in this process's memory, filled from the store at start and updated after each
/// commit. With several ingest processes on one PostgreSQL store, each would instead read the debtors (and
/// the deny version) from the store after its commit.
/// </remarks>
internal sealed class DenyListTracker
{
    private const string VersionKey = "denyVersion";

    private readonly CityRegistry _registry;
    private readonly string[] _lostTokens;
    private readonly HashSet<string> _debtors;
    private Dictionary<string, CardStatusEntry> _runTime;
    private long _version;

    public DenyListTracker(CityRegistry registry, IIngestStore store)
    {
        _registry = registry;
        _lostTokens = registry.Cards.Where(c => c.Lost).Select(c => c.Token).ToArray();
        _debtors = new HashSet<string>(store.PersonsInDebt(), StringComparer.Ordinal);
        _runTime = CardStatuses.Read(store.GetMeta(CardStatuses.MetaKey));

        // Every start publishes a fresh version, so a device never keeps a list the ingest no longer holds.
        _version = store.Write(w =>
        {
            long v = ReadVersion(w) + 1;
            WriteVersion(w, v);
            return v;
        });
    }

    public int DebtorCount => _debtors.Count;

    public DenyList Current()
    {
        var tokens = new SortedSet<string>(_lostTokens, StringComparer.Ordinal);
        tokens.UnionWith(_runTime.Keys);
        foreach (string pid in _debtors)
        {
            foreach (CardEntry c in _registry.CardsOf(pid))
            {
                tokens.Add(c.Token);
            }
        }

        return new DenyList { Version = _version, Tokens = [.. tokens] };
    }

    /// <summary>The run-time status of a card, or null when it has none.</summary>
    public CardStatusEntry? StatusOf(string token) => _runTime.GetValueOrDefault(token);

    public long Version => _version;

    /// <summary>
    /// Inside a unit of its own: sets (or, with null, clears) the card's run-time status and stores the next version;
    /// the new statuses, or null when nothing changed. <see cref="CommitStatuses"/> once the unit committed.
    /// </summary>
    public Dictionary<string, CardStatusEntry>? StageStatus(IIngestWrite w, string token, CardRunStatus? status, DateTimeOffset at)
    {
        var next = new Dictionary<string, CardStatusEntry>(_runTime, StringComparer.Ordinal);
        if (status is { } s)
        {
            if (next.TryGetValue(token, out CardStatusEntry? old) && old.Status == s)
            {
                return null;
            }

            if (next.Count >= CardStatuses.MaxEntries && !next.ContainsKey(token))
            {
                throw new InvalidOperationException($"card statuses: at most {CardStatuses.MaxEntries} cards may carry a run-time status");
            }

            next[token] = new CardStatusEntry(token, s, at);
        }
        else if (!next.Remove(token))
        {
            return null;
        }

        CardStatuses.Write(w, next);
        WriteVersion(w, _version + 1);
        return next;
    }

    /// <summary>After the unit of <see cref="StageStatus"/> committed: the new list.</summary>
    public DenyList CommitStatuses(Dictionary<string, CardStatusEntry> statuses)
    {
        _runTime = statuses;
        _version++;
        return Current();
    }

    /// <summary>
    /// Inside the unit, last: a unit that changes who is in debt, or finds cards cloned, also stores the next version
    /// (and the cards' run-time status <see cref="CardRunStatus.Clone"/>).
    /// </summary>
    public void Stage(IIngestWrite w, DenyChanges changes)
    {
        if (changes.Clones.Count > 0)
        {
            var next = new Dictionary<string, CardStatusEntry>(_runTime, StringComparer.Ordinal);
            foreach ((string token, DateTimeOffset at) in changes.Clones)
            {
                bool known = next.TryGetValue(token, out CardStatusEntry? old);
                // The limit keeps the statuses one document; a flood of clone signals beyond it is still rejected and counted.
                if ((known && old!.Status == CardRunStatus.Clone) || (!known && next.Count >= CardStatuses.MaxEntries))
                {
                    continue;
                }

                next[token] = new CardStatusEntry(token, CardRunStatus.Clone, at);
                changes.NewStatuses = next;
            }

            if (changes.NewStatuses is not null)
            {
                CardStatuses.Write(w, next);
            }
        }

        if (changes.Any || changes.NewStatuses is not null)
        {
            changes.NewVersion = _version + 1;
            WriteVersion(w, changes.NewVersion.Value);
        }
    }

    /// <summary>After the unit committed: the list in memory follows the store; the new list, or null when it did not change.</summary>
    public DenyList? Commit(DenyChanges changes)
    {
        if (changes.NewVersion is not { } version)
        {
            return null;
        }

        if (changes.NewStatuses is { } statuses)
        {
            _runTime = statuses;
        }

        foreach ((string pid, bool inDebt) in changes.Changed)
        {
            if (inDebt)
            {
                _debtors.Add(pid);
            }
            else
            {
                _debtors.Remove(pid);
            }
        }

        _version = version;
        return Current();
    }

    private static long ReadVersion(IIngestWrite w) => long.Parse(w.GetMeta(VersionKey) ?? "0", CultureInfo.InvariantCulture);

    private static void WriteVersion(IIngestWrite w, long version) => w.SetMeta(VersionKey, version.ToString(CultureInfo.InvariantCulture));
}

/// <summary>What one unit of work changed on the deny list: who went into debt or out of it, which cards gave a clone signal.</summary>
internal sealed class DenyChanges
{
    // Debt status of each evaluated person before the unit, to tell a real change from a round trip.
    private readonly Dictionary<string, bool> _before = new(StringComparer.Ordinal);
    private readonly Dictionary<string, bool> _changed = new(StringComparer.Ordinal);

    public bool Any => _changed.Count > 0;

    public IReadOnlyDictionary<string, bool> Changed => _changed;

    /// <summary>Cards whose read in this unit gave a clone signal, with the read's event time.</summary>
    public Dictionary<string, DateTimeOffset> Clones { get; } = new(StringComparer.Ordinal);

    /// <summary>Set by <see cref="DenyListTracker.Stage"/> when clone signals changed the run-time statuses.</summary>
    public Dictionary<string, CardStatusEntry>? NewStatuses { get; set; }

    /// <summary>Set by <see cref="DenyListTracker.Stage"/> when the unit stores a new deny version.</summary>
    public long? NewVersion { get; set; }

    /// <summary>
    /// The person was evaluated: <paramref name="wasInDebt"/> as stored before this evaluation. Compared with
    /// the state before the unit, since a person may be evaluated by several batches of one group.
    /// </summary>
    public void Record(string pid, bool wasInDebt, bool inDebt)
    {
        if (!_before.TryGetValue(pid, out bool before))
        {
            _before[pid] = before = wasInDebt;
        }

        if (before != inDebt)
        {
            _changed[pid] = inDebt;
        }
        else
        {
            _changed.Remove(pid);
        }
    }
}
