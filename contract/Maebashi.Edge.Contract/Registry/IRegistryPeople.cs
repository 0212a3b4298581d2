namespace Maebashi.Edge.Contract.Registry;

/// <summary>
/// The persons and cards of a registry, the part that grows with the population: held as loaded from the file
/// (<see cref="LoadedRegistryPeople"/>), or packed by an ingest worker whose registry lives in its database.
/// </summary>
public interface IRegistryPeople
{
    int PersonCount { get; }

    int CardCount { get; }

    /// <summary>Every person (read once, at start or by a tool: a packed implementation makes each entry as it goes).</summary>
    IEnumerable<PersonEntry> Persons { get; }

    /// <summary>Every card (read once, at start or by a tool: a packed implementation makes each entry as it goes).</summary>
    IEnumerable<CardEntry> Cards { get; }

    /// <summary>The card of a token, or null (also for a string that is not a token).</summary>
    CardEntry? FindCard(string token);

    PersonEntry? FindPerson(string pid);

    /// <summary>The person's cards (none for an unknown person).</summary>
    IReadOnlyList<CardEntry> CardsOf(string pid);
}

/// <summary>The persons and cards as loaded from a registry file: dictionaries of entries.</summary>
public sealed class LoadedRegistryPeople : IRegistryPeople
{
    private readonly Dictionary<string, CardEntry> _cardsByToken;
    private readonly Dictionary<string, PersonEntry> _persons;
    private readonly Dictionary<string, List<CardEntry>> _cardsByPid;

    public LoadedRegistryPeople(IEnumerable<PersonEntry> persons, IReadOnlyCollection<CardEntry> cards)
    {
        ArgumentNullException.ThrowIfNull(persons);
        ArgumentNullException.ThrowIfNull(cards);
        _persons = persons.ToDictionary(p => p.Pid, StringComparer.Ordinal);
        _cardsByToken = new Dictionary<string, CardEntry>(cards.Count, StringComparer.Ordinal);
        _cardsByPid = new Dictionary<string, List<CardEntry>>(_persons.Count, StringComparer.Ordinal);
        foreach (CardEntry c in cards)
        {
            _cardsByToken[c.Token] = c;
            if (!_cardsByPid.TryGetValue(c.Pid, out List<CardEntry>? list))
            {
                _cardsByPid[c.Pid] = list = new List<CardEntry>(2);
            }

            list.Add(c);
        }
    }

    public int PersonCount => _persons.Count;

    public int CardCount => _cardsByToken.Count;

    public IEnumerable<PersonEntry> Persons => _persons.Values;

    public IEnumerable<CardEntry> Cards => _cardsByToken.Values;

    public CardEntry? FindCard(string token) => _cardsByToken.GetValueOrDefault(token);

    public PersonEntry? FindPerson(string pid) => _persons.GetValueOrDefault(pid);

    public IReadOnlyList<CardEntry> CardsOf(string pid) => _cardsByPid.TryGetValue(pid, out List<CardEntry>? l) ? l : [];
}
