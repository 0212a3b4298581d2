using System.Globalization;
using System.Security.Cryptography;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Mqtt;

/// <summary>
/// Each device's retained <c>cfg</c>: its role's part of the registry (bus: routes, tariff, vehicle;
/// event site: the events held there; clinic: its clinic). The version goes up whenever the content changes.
/// </summary>
public static class DeviceConfigs
{
    public static DeviceConfig For(CityRegistry registry, DeviceEntry device)
    {
        var cfg = new DeviceConfig { Device = device.Id, Role = device.Role, Site = device.Def.Site };
        switch (device.Role)
        {
            case DeviceRoles.Bus:
                cfg.Vehicle = device.Def.Vehicle;
                cfg.Tariff = registry.Tariff;
                cfg.Routes = [.. registry.Routes.OrderBy(r => r.Id, StringComparer.Ordinal)];
                // The fare tables its routes of kind table name, so the provisional fare shown matches the ingest's.
                List<FareTableDef> tables = [.. cfg.Routes.Select(r => registry.FindFareTable(r.FareTable)).OfType<FareTableDef>().DistinctBy(t => t.Id).OrderBy(t => t.Id, StringComparer.Ordinal)];
                cfg.FareTables = tables.Count > 0 ? tables : null;
                break;
            case DeviceRoles.Event:
                cfg.Events = [.. registry.Events.Where(e => e.Sites.Contains(device.Id, StringComparer.Ordinal)).OrderBy(e => e.Start)];
                break;
            case DeviceRoles.Clinic:
                cfg.Clinic = device.Def.Clinic is { } c ? registry.FindClinic(c) : null;
                break;
        }

        return cfg;
    }

    /// <summary>Builds every device's configuration with a version kept in the store (raised when the content changed).</summary>
    public static IReadOnlyList<(string Topic, byte[] Payload)> Build(CityRegistry registry, IIngestStore store) =>
        // The list is made inside the unit, which the store may run again. The versions are read under one lock (the key
        // "cfg", standing for every "cfg:DEVICE": one lock, however many devices), so that two workers starting with
        // different registries number their configurations one after the other, never alike.
        store.Write(w =>
        {
            w.LockKey("cfg");
            var built = new List<(string, byte[])>();
            foreach (DeviceEntry device in registry.Devices.OrderBy(d => d.Id, StringComparer.Ordinal))
            {
                DeviceConfig cfg = For(registry, device);
                string hash = Convert.ToHexStringLower(SHA256.HashData(ContractJson.Serialize(cfg)));
                string key = "cfg:" + device.Id;
                long version = 1;
                if (w.GetMeta(key) is { } stored && stored.Split('|') is [var v, var h])
                {
                    version = long.Parse(v, CultureInfo.InvariantCulture) + (h == hash ? 0 : 1);
                }

                w.SetMeta(key, version.ToString(CultureInfo.InvariantCulture) + "|" + hash);
                cfg.Version = version;
                built.Add((Topics.Config(device.Id), ContractJson.Serialize(cfg)));
            }

            return built;
        });
}
