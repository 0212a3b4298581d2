using System.Globalization;
using System.Text.Json;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Ingest.Rules.Tests;

/// <summary>Times written as JST wall clock, "yyyy-MM-dd HH:mm[:ss]".</summary>
internal static class Jst
{
    public static readonly TimeSpan Offset = TimeSpan.FromHours(9);

    public static DateTimeOffset At(string local)
    {
        string format = local.Length > 16 ? "yyyy-MM-dd HH:mm:ss" : "yyyy-MM-dd HH:mm";
        DateTime dt = DateTime.ParseExact(local, format, CultureInfo.InvariantCulture);
        return new DateTimeOffset(dt, Offset);
    }
}

/// <summary>The sample registry of the repository's fixtures/, loaded once.</summary>
internal static class Sample
{
    private static readonly Lazy<CityRegistry> Loaded = new(() => RegistryLoader.Load(SharedFixtures.RegistryPath));

    public static CityRegistry Registry => Loaded.Value;
}

/// <summary>Builds small registries of its own (tariffs, keys, routes unlike the sample) through the real loader.</summary>
internal sealed class RegistryBuilder
{
    private int _uid = 0x10000000;

    public RegistryDocument Doc { get; } = new()
    {
        Keys = new RegistryKeys
        {
            RegionKey = "00112233445566778899aabbccddeeff0f1e2d3c4b5a69788796a5b4c3d2e1f0",
            LinkKey = "f0e1d2c3b4a5968778695a4b3c2d1e0fffeeddccbbaa99887766554433221100",
        },
        Tariff = new TariffDef(),
        Routes = [],
        Persons = [],
        Cards = [],
        Devices = [],
        Events = [],
        Clinics = [],
    };

    public RegistryBuilder Tariff(long? adultCap = null, long? childCap = null, long? disabilityCap = null, long debtLimit = 500, long ridePointsPer100 = 1)
    {
        Doc.Tariff = new TariffDef
        {
            DailyCap = new DailyCaps { Adult = adultCap, Child = childCap, Disability = disabilityCap },
            DebtLimit = debtLimit,
            RidePointsPer100 = ridePointsPer100,
        };
        return this;
    }

    public RegistryBuilder Zonal(string id, long baseFare, long zoneFare, long maxFare, long transferDiscount, params (string Id, int Zone)[] stops)
    {
        Doc.Routes!.Add(new RouteDef
        {
            Id = id,
            Kind = RouteKinds.Zonal,
            BaseFare = baseFare,
            ZoneFare = zoneFare,
            MaxFare = maxFare,
            TransferDiscount = transferDiscount,
            Stops = stops.Select(s => new StopDef { Id = s.Id, Zone = s.Zone }).ToList(),
        });
        return this;
    }

    public RegistryBuilder Flat(string id, long fare, long transferDiscount, params string[] stops)
    {
        Doc.Routes!.Add(new RouteDef
        {
            Id = id,
            Kind = RouteKinds.Flat,
            FlatFare = fare,
            TransferDiscount = transferDiscount,
            Stops = stops.Select(s => new StopDef { Id = s }).ToList(),
        });
        return this;
    }

    /// <summary>
    /// A route of kind table whose stops carry fare zones, its fare table and its agency (added once); the route
    /// runs one pattern each way over its stops.
    /// </summary>
    public RegistryBuilder Table(string id, string agency, string table, (string From, string To, long Fare)[] fares, params (string Id, string FareZone)[] stops)
    {
        Doc.Agencies ??= [];
        if (!Doc.Agencies.Any(a => a.Id == agency))
        {
            Doc.Agencies.Add(new AgencyDef { Id = agency, Name = agency + "バス" });
        }

        Doc.FareTables ??= [];
        Doc.FareTables.Add(new FareTableDef { Id = table, Agency = agency, Fares = [.. fares.Select(f => new OdFareDef { From = f.From, To = f.To, Fare = f.Fare })] });
        List<string> order = [.. stops.Select(s => s.Id)];
        Doc.Routes!.Add(new RouteDef
        {
            Id = id,
            Kind = RouteKinds.Table,
            Agency = agency,
            FareTable = table,
            Stops = [.. stops.Select(s => new StopDef { Id = s.Id, FareZone = s.FareZone })],
            Patterns =
            [
                new RoutePatternDef { Id = id + "-0", Direction = 0, Stops = order },
                new RoutePatternDef { Id = id + "-1", Direction = 1, Stops = [.. Enumerable.Reverse(order)] },
            ],
        });
        return this;
    }

    public RegistryBuilder Person(string pid, string birthDate, bool disability = false, bool autoPointPay = true, long openingValue = 0, long openingPoints = 0, int cards = 1)
    {
        Doc.Persons!.Add(new PersonDef
        {
            Pid = pid,
            BirthDate = birthDate,
            Flags = disability ? [PersonFlags.Disability] : [],
            AutoPointPay = autoPointPay,
            OpeningValue = openingValue,
            OpeningPoints = openingPoints,
        });
        for (int i = 0; i < cards; i++)
        {
            Doc.Cards!.Add(new CardDef { Uid = (_uid++).ToString("X8", CultureInfo.InvariantCulture), Tech = CardTechs.Iso14443A, Pid = pid });
        }

        return this;
    }

    public RegistryBuilder Device(string id, string role, string? vehicle = null, string? clinic = null, string? site = null)
    {
        Doc.Devices!.Add(new DeviceDef { Id = id, Role = role, Vehicle = vehicle, Clinic = clinic, Site = site, Key = "6b6579206f6620" + Convert.ToHexString(System.Text.Encoding.ASCII.GetBytes(id.PadRight(25, '.'))) });
        return this;
    }

    public RegistryBuilder Clinic(string id)
    {
        Doc.Clinics!.Add(new ClinicDef { Id = id });
        return this;
    }

    public RegistryBuilder Event(string id, string sector, string start, string end, long points, long? pointsPerHour = null, long? maxPoints = null, params string[] sites)
    {
        Doc.Events!.Add(new EventDef
        {
            Id = id,
            Sector = sector,
            Start = Jst.At(start),
            End = Jst.At(end),
            Points = points,
            PointsPerHour = pointsPerHour,
            MaxPoints = maxPoints,
            Sites = [.. sites],
        });
        return this;
    }

    public CityRegistry Build()
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(Doc, ContractJsonContext.Default.RegistryDocument);
        using var stream = new MemoryStream(json);
        return RegistryLoader.Load(stream, "test registry");
    }

    /// <summary>Two routes unlike the sample's, buses, one adult with opening value; callers add more.</summary>
    public static RegistryBuilder Small() => new RegistryBuilder()
        .Tariff(adultCap: 1000, childCap: 500, disabilityCap: 400, debtLimit: 300, ridePointsPer100: 2)
        .Zonal("Z9", 150, 70, 360, 30, ("A", 1), ("B", 2), ("C", 4), ("D", 5))
        .Flat("F7", 230, 120, "X", "Y")
        .Device("BUS-A", DeviceRoles.Bus, vehicle: "VA")
        .Device("BUS-B", DeviceRoles.Bus, vehicle: "VB");
}

/// <summary>A person's facts built tap by tap, as the ingest would hand them to the rules.</summary>
public sealed class Rider(CityRegistry registry, string pid)
{
    private readonly Dictionary<string, ulong> _seq = new(StringComparer.Ordinal);

    public CityRegistry Registry { get; } = registry;
    public PersonEntry Person { get; } = registry.FindPerson(pid) ?? throw new ArgumentException("no person " + pid);
    public List<StoredTap> Taps { get; } = [];
    public List<StoredTap> TripEnds { get; } = [];
    public List<ValueChange> TopUps { get; } = [];

    public PersonHistory History => new() { Person = Person, Taps = Taps, TripEnds = TripEnds, ValueChanges = TopUps };

    private CardRef Card(int card)
    {
        CardEntry c = Registry.CardsOf(Person.Pid)[card];
        return new CardRef { Tok = c.Token, Tech = c.Tech.ToWire() };
    }

    private ulong NextSeq(string device) => _seq[device] = _seq.GetValueOrDefault(device) + 1;

    private string VehicleOf(string device) => Registry.FindDevice(device)?.Def.Vehicle ?? "V-" + device;

    private StoredTapRef Add(string device, string type, string at, TapContext ctx, int card, string decision)
    {
        var ev = new TapEvent { Seq = NextSeq(device), Type = type, At = Jst.At(at), Card = Card(card), Ctx = ctx, Decision = decision };
        Taps.Add(new StoredTap(device, ev.Seq, ev));
        return new StoredTapRef(device, ev.Seq);
    }

    public StoredTapRef Board(string device, string at, string route, string stop, int card = 0, string decision = Decisions.Accept, string? vehicle = null) =>
        Add(device, EventTypes.Board, at, new TapContext { Route = route, Stop = stop, Vehicle = vehicle ?? VehicleOf(device) }, card, decision);

    public StoredTapRef Alight(string device, string at, string route, string stop, int card = 0, string decision = Decisions.Accept, string? vehicle = null) =>
        Add(device, EventTypes.Alight, at, new TapContext { Route = route, Stop = stop, Vehicle = vehicle ?? VehicleOf(device) }, card, decision);

    /// <summary>A ride with both taps on one device.</summary>
    public void Ride(string device, string route, string from, string boardAt, string to, string alightAt, int card = 0)
    {
        Board(device, boardAt, route, from, card);
        Alight(device, alightAt, route, to, card);
    }

    public void TripEnd(string device, string at, string? vehicle = null)
    {
        var ev = new TapEvent { Seq = NextSeq(device), Type = EventTypes.TripEnd, At = Jst.At(at), Ctx = new TapContext { Vehicle = vehicle ?? VehicleOf(device) } };
        TripEnds.Add(new StoredTap(device, ev.Seq, ev));
    }

    public StoredTapRef EventIn(string device, string at, string eventId, int card = 0, string decision = Decisions.Accept) =>
        Add(device, EventTypes.EventIn, at, new TapContext { Event = eventId }, card, decision);

    public StoredTapRef EventOut(string device, string at, string eventId, int card = 0, string decision = Decisions.Accept) =>
        Add(device, EventTypes.EventOut, at, new TapContext { Event = eventId }, card, decision);

    public StoredTapRef CheckIn(string device, string at, string clinic, int queue, int card = 0) =>
        Add(device, EventTypes.ClinicCheckin, at, new TapContext { Clinic = clinic, Queue = queue }, card, Decisions.Accept);

    public void TopUp(string receipt, long amount, string at) => TopUps.Add(new ValueChange(receipt, amount, Jst.At(at)));

    public WalletView Eval(string now) => WalletRules.Evaluate(Registry, History, Jst.At(now));
}
