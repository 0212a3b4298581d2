using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Terminal.Uplink;

/// <summary>
/// Messages for <see cref="MqttUplink.WarmUp"/>: each field the wire carries set once, so that every converter the
/// real messages need is created and compiled. None of them is sent or stored.
/// </summary>
internal static class UplinkWarmUp
{
    public static TapEvent SampleTap(DateTimeOffset at) => new()
    {
        Seq = 0,
        Type = EventTypes.Board,
        At = at,
        Card = new CardRef { Tok = "-", Tech = "iso14443a" },
        Ctx = new TapContext { Route = "-", Vehicle = "-", Stop = "-", Queue = 0, Offline = false, Door = "-" },
    };

    public static Ack SampleAck() => new()
    {
        UpTo = 0,
        Results = [new EventResult { Seq = 0, Reason = "-", Fare = 0, Points = 0, Value = 0, PatientNo = "-", Queue = 0, ChildMedicalSubsidy = false }],
    };

    public static DeviceConfig SampleConfig(string device, string role) => new()
    {
        Version = 0,
        Device = device,
        Role = role,
        Vehicle = "-",
        Tariff = new TariffDef { DailyCap = new DailyCaps { Adult = 0, Child = 0, Disability = 0 } },
        Routes =
        [
            new RouteDef
            {
                Id = "-", Kind = RouteKinds.Flat, FlatFare = 0, BaseFare = 0, ZoneFare = 0, MaxFare = 0,
                Names = new Dictionary<string, string> { ["en"] = "-" },
                Stops = [new StopDef { Id = "-", Zone = 0, Lat = 0, Lon = 0 }],
                Patterns = [new RoutePatternDef { Id = "-", Stops = ["-"] }],
            },
        ],
        FareTables = [new FareTableDef { Id = "-", Fares = [new OdFareDef { From = "-", To = "-", Fare = 0 }] }],
    };
}
