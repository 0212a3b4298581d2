namespace Maebashi.Edge.Firmware.Storage
{
    /// <summary>A NOR-flash partition: erase sets a sector to 0xFF, a write can only clear bits (1 → 0), and a power cut
    /// may tear the write or erase in progress. The board implements it over the ESP32's flash partition.</summary>
    public interface IFlashStorage
    {
        int SectorSize { get; }

        int SectorCount { get; }

        void EraseSector(int sector);

        void Write(int address, byte[] data, int offset, int count);

        void Read(int address, byte[] buffer, int offset, int count);
    }
}
