using System.Globalization;
using Maebashi.Edge.Contract.Identity;

namespace Maebashi.Edge.Contract.Registry;

/// <summary>A card as the cloud keeps it: its token, never its UID.</summary>
public sealed class CardEntry(string token, CardTech tech, string pid, bool lost, bool authenticated = false, int keyVersion = 0)
{
    public string Token { get; } = token;
    public CardTech Tech { get; } = tech;
    public string Pid { get; } = pid;
    public bool Lost { get; } = lost;

    /// <summary>An <c>ntag424-sun</c> card: every read must carry a SUN message that verifies.</summary>
    public bool Authenticated { get; } = authenticated;

    /// <summary>The card master key version it was personalised under.</summary>
    public int KeyVersion { get; } = keyVersion;
}

/// <summary>A person with what the rules need.</summary>
public sealed class PersonEntry(PersonDef def, DateOnly birthDate)
{
    public string Pid => Def.Pid;
    public PersonDef Def { get; } = def;
    public DateOnly BirthDate { get; } = birthDate;
    public bool HasDisability => Def.Flags.Contains(PersonFlags.Disability);
}

/// <summary>A device with its key parsed.</summary>
public sealed class DeviceEntry(DeviceDef def, byte[] key)
{
    public string Id => Def.Id;
    public string Role => Def.Role;
    public DeviceDef Def { get; } = def;

    /// <summary>The device key. Never log it.</summary>
    public byte[] Key { get; } = key;
}

/// <summary>
/// The loaded, checked and indexed registry. UIDs are turned into card tokens at load and not kept. Its persons and
/// cards are an <see cref="IRegistryPeople"/>: as loaded from the file, or packed from a database.
/// </summary>
public sealed class CityRegistry
{
    private readonly IRegistryPeople _people;
    private readonly Dictionary<string, DeviceEntry> _devices;
    private readonly Dictionary<string, RouteDef> _routes;
    private readonly Dictionary<string, EventDef> _events;
    private readonly Dictionary<string, ClinicDef> _clinics;
    private readonly Dictionary<string, FareTableDef> _fareTables;

    private CityRegistry(RegistryDocument doc, byte[] regionKey, byte[] linkKey, IRegistryPeople people)
    {
        Document = doc;
        RegionKey = regionKey;
        LinkKey = linkKey;
        Tariff = doc.Tariff ?? new TariffDef();
        _people = people;
        _devices = (doc.Devices ?? []).ToDictionary(d => d.Id, d => new DeviceEntry(d, Hex.Parse(d.Key, "key")), StringComparer.Ordinal);
        _routes = (doc.Routes ?? []).ToDictionary(r => r.Id, StringComparer.Ordinal);
        _events = (doc.Events ?? []).ToDictionary(e => e.Id, StringComparer.Ordinal);
        _clinics = (doc.Clinics ?? []).ToDictionary(c => c.Id, StringComparer.Ordinal);
        _fareTables = (doc.FareTables ?? []).ToDictionary(t => t.Id, StringComparer.Ordinal);
    }

    /// <summary>A registry loaded from its file: the document's persons, and the cards as tokens.</summary>
    internal static CityRegistry Loaded(RegistryDocument doc, byte[] regionKey, byte[] linkKey, CardEntry[] cards) =>
        new(doc, regionKey, linkKey, new LoadedRegistryPeople(
            (doc.Persons ?? []).Select(p => new PersonEntry(p, DateOnly.ParseExact(p.BirthDate, "yyyy-MM-dd", CultureInfo.InvariantCulture))), cards));

    /// <summary>
    /// A registry whose persons and cards are kept elsewhere (an ingest worker's database): <paramref name="doc"/> is the
    /// rest of the checked export — keys, tariff, routes, devices, events, clinics — and its own persons and cards are
    /// not read.
    /// </summary>
    public static CityRegistry WithPeople(RegistryDocument doc, IRegistryPeople people)
    {
        ArgumentNullException.ThrowIfNull(doc);
        ArgumentNullException.ThrowIfNull(people);
        byte[] regionKey = Hex.Parse(doc.Keys?.RegionKey ?? "", "keys.regionKey");
        byte[] linkKey = Hex.Parse(doc.Keys?.LinkKey ?? "", "keys.linkKey");
        return new CityRegistry(doc, regionKey, linkKey, people);
    }

    /// <summary>The document as loaded, without its card list (cards are held as tokens only).</summary>
    public RegistryDocument Document { get; }

    public byte[] RegionKey { get; }
    public byte[] LinkKey { get; }
    public TariffDef Tariff { get; }

    public int PersonCount => _people.PersonCount;
    public int CardCount => _people.CardCount;
    public IEnumerable<PersonEntry> Persons => _people.Persons;
    public IEnumerable<CardEntry> Cards => _people.Cards;
    public IEnumerable<DeviceEntry> Devices => _devices.Values;
    public IEnumerable<RouteDef> Routes => _routes.Values;
    public IEnumerable<EventDef> Events => _events.Values;
    public IEnumerable<ClinicDef> Clinics => _clinics.Values;

    public CardEntry? FindCard(string token) => _people.FindCard(token);
    public PersonEntry? FindPerson(string pid) => _people.FindPerson(pid);
    public DeviceEntry? FindDevice(string id) => _devices.GetValueOrDefault(id);
    public RouteDef? FindRoute(string id) => _routes.GetValueOrDefault(id);
    public EventDef? FindEvent(string id) => _events.GetValueOrDefault(id);
    public ClinicDef? FindClinic(string id) => _clinics.GetValueOrDefault(id);

    /// <summary>The origin–destination fare table a route of kind <c>table</c> names.</summary>
    public FareTableDef? FindFareTable(string? id) => id is null ? null : _fareTables.GetValueOrDefault(id);

    public IReadOnlyList<CardEntry> CardsOf(string pid) => _people.CardsOf(pid);

    /// <summary>The persons and cards, for a holder that keeps them another way (<see cref="WithPeople"/>).</summary>
    public IRegistryPeople People => _people;

    public string TokenFor(CardTech tech, string uidHex) => CardToken.Compute(RegionKey, tech, uidHex);

    public string SectorIdFor(string pid, string sector) => SectorId.Compute(LinkKey, pid, sector);
}
