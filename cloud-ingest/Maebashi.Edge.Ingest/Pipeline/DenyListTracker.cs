using System.Globalization;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Pipeline;

/// <summary>
/// The deny list: the registry's lost cards, the cards with a run-time status (<see cref="CardStatuses"/>) and every
/// card of a person in debt, under the version the store keeps. Not thread-safe: the pipeline calls it under its unit lock.
/// </summary>
/// <remarks>
/// Several workers may share the store (docs/ingest.md, "Several workers"), so nothing here is the truth: a unit that
/// changes the list locks the store's version (<see cref="ISharedStateWrite.LockDenyVersion"/>), reads the statuses
/// under it and stores the next version; the list is built from the store's <see cref="DenyState"/> of one snapshot,
/// kept here only until the store's version moves on. Whichever worker builds the list of a version builds the same.
/// </remarks>
internal sealed class DenyListTracker
{
    private readonly CityRegistry _registry;
    private readonly IIngestStore _store;
    private readonly string[] _lostTokens;

    // The list built from the store's state of _built.Version, and that state's run-time statuses.
    private DenyList _built = new() { Version = -1, Tokens = [] };
    private Dictionary<string, CardStatusEntry> _runTime = new(StringComparer.Ordinal);
    private int _debtorCount;

    public DenyListTracker(CityRegistry registry, IIngestStore store)
    {
        _registry = registry;
        _store = store;
        _lostTokens = registry.Cards.Where(c => c.Lost).Select(c => c.Token).ToArray();

        // Every start publishes a fresh version, so a device never keeps a list the ingest no longer holds.
        store.Write(w =>
        {
            WriteVersion(w, w.LockDenyVersion() + 1);
            return true;
        });
    }

    public int DebtorCount
    {
        get
        {
            Refresh();
            return _debtorCount;
        }
    }

    /// <summary>The list of the store's latest committed version.</summary>
    public DenyList Current()
    {
        Refresh();
        return _built;
    }

    /// <summary>The run-time status of a card, or null when it has none.</summary>
    public CardStatusEntry? StatusOf(string token)
    {
        Refresh();
        return _runTime.GetValueOrDefault(token);
    }

    public long Version => Current().Version;

    /// <summary>
    /// Inside a unit of its own: sets (or, with null, clears) the card's run-time status and stores the next version;
    /// the version stored, or null when nothing changed. The list of it is <see cref="Current"/> once the unit committed.
    /// </summary>
    public long? StageStatus(IIngestWrite w, string token, CardRunStatus? status, DateTimeOffset at)
    {
        long version = w.LockDenyVersion();
        Dictionary<string, CardStatusEntry> next = CardStatuses.Read(w.GetMeta(CardStatuses.MetaKey));
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
        WriteVersion(w, version + 1);
        return version + 1;
    }

    /// <summary>
    /// Inside the unit, last (after its persons' locks): a unit that changes who is in debt, or finds cards cloned, also
    /// stores the next version (and the cards' run-time status <see cref="CardRunStatus.Clone"/>).
    /// </summary>
    public void Stage(IIngestWrite w, DenyChanges changes)
    {
        if (!changes.Any && changes.Clones.Count == 0)
        {
            return;
        }

        long version = w.LockDenyVersion();
        bool statusesChanged = false;
        if (changes.Clones.Count > 0)
        {
            Dictionary<string, CardStatusEntry> next = CardStatuses.Read(w.GetMeta(CardStatuses.MetaKey));
            foreach ((string token, DateTimeOffset at) in changes.Clones)
            {
                bool known = next.TryGetValue(token, out CardStatusEntry? old);
                // The limit keeps the statuses one document; a flood of clone signals beyond it is still rejected and counted.
                if ((known && old!.Status == CardRunStatus.Clone) || (!known && next.Count >= CardStatuses.MaxEntries))
                {
                    continue;
                }

                next[token] = new CardStatusEntry(token, CardRunStatus.Clone, at);
                statusesChanged = true;
            }

            if (statusesChanged)
            {
                CardStatuses.Write(w, next);
            }
        }

        if (changes.Any || statusesChanged)
        {
            changes.NewVersion = version + 1;
            WriteVersion(w, changes.NewVersion.Value);
        }
    }

    /// <summary>After the unit committed: the list as the store now holds it, or null when the unit did not change it.</summary>
    public DenyList? Commit(DenyChanges changes) => changes.NewVersion is null ? null : Current();

    // One read of the version; the whole state only when it moved (a unit of this or another worker committed).
    private void Refresh()
    {
        if (ReadVersion(_store.GetMeta(SharedStateKeys.DenyVersion)) == _built.Version)
        {
            return;
        }

        DenyState state = _store.DenyState();
        Dictionary<string, CardStatusEntry> runTime = CardStatuses.Read(state.CardStatuses);
        var tokens = new SortedSet<string>(_lostTokens, StringComparer.Ordinal);
        tokens.UnionWith(runTime.Keys);
        foreach (string pid in state.Debtors)
        {
            foreach (CardEntry c in _registry.CardsOf(pid))
            {
                tokens.Add(c.Token);
            }
        }

        _runTime = runTime;
        _debtorCount = state.Debtors.Count;
        _built = new DenyList { Version = state.Version, Tokens = [.. tokens] };
    }

    private static long ReadVersion(string? stored) => stored is null ? 0 : long.Parse(stored, CultureInfo.InvariantCulture);

    private static void WriteVersion(IIngestWrite w, long version) => w.SetMeta(SharedStateKeys.DenyVersion, version.ToString(CultureInfo.InvariantCulture));
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
