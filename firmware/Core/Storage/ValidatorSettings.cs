namespace Maebashi.Edge.Firmware.Storage
{
    /// <summary>What provisioning sets, kept in flash by <see cref="SettingsStore"/>.</summary>
    public sealed class ValidatorSettings
    {
        public byte Address = Link.LinkProtocol.UnprovisionedAddress;
        public byte Door;
        public uint SeqFloor;
        public bool Provisioned;
        public int DeviceIdLength;
        public readonly byte[] DeviceId = new byte[Link.LinkProtocol.MaxDeviceIdLength];
    }

    /// <summary>
    /// Settings in two flash sectors used in turn (A/B): each save erases the older sector and writes a record with a higher
    /// generation, body first and a commit byte last, so a power cut during a save leaves the previous settings readable.
    /// Record: [0] 'S' [1] format [2..5] generation [6] address [7] door [8..11] seq floor [12] id length [13..44] id
    /// [45..46] CRC-16 of 0..44 [47] commit 0xA5.
    /// </summary>
    public sealed class SettingsStore
    {
        private const int RecordLength = 48;
        private readonly IFlashStorage _flash;
        private readonly byte[] _buf = new byte[RecordLength];
        private readonly byte[] _one = new byte[1];
        private uint _generation;
        private int _current = -1;

        public SettingsStore(IFlashStorage flash)
        {
            _flash = flash;
        }

        /// <summary>Loads the newest valid record into <paramref name="into"/>; false (defaults kept) when there is none.</summary>
        public bool Load(ValidatorSettings into)
        {
            _current = -1;
            _generation = 0;
            for (int sector = 0; sector < 2; sector++)
            {
                _flash.Read(sector * _flash.SectorSize, _buf, 0, RecordLength);
                if (_buf[0] != 0x53 || _buf[1] != 1 || _buf[47] != 0xA5
                    || Crc16Ccitt.Compute(_buf, 0, 45) != (ushort)Bytes.GetU16(_buf, 45))
                {
                    continue;
                }

                uint generation = Bytes.GetU32(_buf, 2);
                if (_current >= 0 && generation <= _generation)
                {
                    continue;
                }

                _current = sector;
                _generation = generation;
                into.Address = _buf[6];
                into.Door = _buf[7];
                into.SeqFloor = Bytes.GetU32(_buf, 8);
                int length = _buf[12];
                into.DeviceIdLength = length > Link.LinkProtocol.MaxDeviceIdLength ? Link.LinkProtocol.MaxDeviceIdLength : length;
                for (int i = 0; i < into.DeviceIdLength; i++)
                {
                    into.DeviceId[i] = _buf[13 + i];
                }

                into.Provisioned = true;
            }

            return _current >= 0;
        }

        public void Save(ValidatorSettings settings)
        {
            int target = _current == 0 ? 1 : 0;
            _generation++;
            Bytes.Fill(_buf, 0, RecordLength, 0);
            _buf[0] = 0x53;
            _buf[1] = 1;
            Bytes.PutU32(_buf, 2, _generation);
            _buf[6] = settings.Address;
            _buf[7] = settings.Door;
            Bytes.PutU32(_buf, 8, settings.SeqFloor);
            _buf[12] = (byte)settings.DeviceIdLength;
            for (int i = 0; i < settings.DeviceIdLength; i++)
            {
                _buf[13 + i] = settings.DeviceId[i];
            }

            Bytes.PutU16(_buf, 45, Crc16Ccitt.Compute(_buf, 0, 45));
            _buf[47] = 0xFF;
            _flash.EraseSector(target);
            _flash.Write(target * _flash.SectorSize, _buf, 0, RecordLength);
            _one[0] = 0xA5;
            _flash.Write((target * _flash.SectorSize) + 47, _one, 0, 1);
            _current = target;
            settings.Provisioned = true;
        }
    }
}
